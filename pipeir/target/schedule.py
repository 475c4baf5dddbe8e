"""The static persistent schedule of output tiles: the one definition of what the
`pipe` work-tile ops mean.

The problem's output tiles (ceil(M / tile_m) x ceil(N / tile_n)) are grouped into
cluster tiles of cluster_m x cluster_n output tiles; a cluster takes linear work tiles
first, first + stride, ... where `first` is its index among the launched clusters and
`stride` their number. Linear work tile `t` is a cluster tile, walked along M
(raster "m": consecutive work tiles share a column of B tiles) or along N (raster
"n"); the CTA of rank `rank` in its cluster takes the output tile at its own
(rank_m, rank_n) position inside it (CuTe's cluster layout: rank = rank_m + rank_n *
cluster_m). A cluster tile that overhangs the problem gives some CTAs a tile outside
it: their loads read zeros and their stores are clipped.

With a raster `group` G > 1 (CUTLASS's swizzle) the walk goes through bands of G
cluster tiles across the raster direction: raster "m" takes bands of G cluster columns,
and inside a band walks along N first (the band's width), then down M. The clusters
resident at once then cover a block of tiles about as tall as wide instead of one or
two whole columns, so the A rows and B columns they read fit L2 together: at 8192^3 on
the H200 (A and B each larger than L2) that cut DRAM traffic enough to raise the clock
at the power limit and the speed by 3-4% (bench/RESULTS.md). The last band is as
wide as what is left.

The split-K schedule (`splits` S > 1) divides every output tile's K among S work units:
work unit u is split u // W of cluster tile u % W (W the cluster tiles), so the W units
of split 0 come first and the splits of one tile run on different clusters at once.
Every unit multiplies the same number of k-tiles, ceil(k_tiles / S) (`slice_k_tiles`),
its slice starting at k-tile split * that: the last slices reach past K, where TMA
loads zeros, so they may be shorter (or empty, with more splits than k-tiles) without
the producer and consumer of any unit doing anything but the same count; the critical
path is ceil(k_tiles / S) k-tiles, as for the most even division. Each unit's partial
tile goes to the workspace slot of its output tile (`output_tile_slot`) and split.

These functions take Python ints (the interpreter, pipeir.analysis.interp) or CuTe DSL
Int32 values (the lowered scheduler, pipeir.lower.cute.schedulers) alike: they use only
`+ - * // %` and the `minimum` they are given on their arguments, and branch only on
the compile-time `raster` and `group`.
"""

from __future__ import annotations


def ceil_div(a, b):
    return (a + b - 1) // b


def cluster_tiles(tiles_m, tiles_n, cluster_m: int, cluster_n: int):
    """(cluster tiles along M, along N) of a problem of tiles_m x tiles_n output tiles."""
    return ceil_div(tiles_m, cluster_m), ceil_div(tiles_n, cluster_n)


def work_tile_count(tiles_m, tiles_n, cluster_m: int, cluster_n: int):
    """Number of linear work tiles (cluster tiles) of the problem."""
    along_m, along_n = cluster_tiles(tiles_m, tiles_n, cluster_m, cluster_n)
    return along_m * along_n


def work_unit_count(tiles_m, tiles_n, cluster_m: int, cluster_n: int, splits: int):
    """Number of linear work units: a cluster tile for each of its `splits` K slices."""
    return work_tile_count(tiles_m, tiles_n, cluster_m, cluster_n) * splits


def split_of(unit, tiles_m, tiles_n, cluster_m: int, cluster_n: int):
    """The K split of linear work unit `unit`."""
    return unit // work_tile_count(tiles_m, tiles_n, cluster_m, cluster_n)


def slice_k_tiles(k_tiles, splits: int):
    """k-tiles of every work unit's K slice (split s starts at k-tile s times this)."""
    return ceil_div(k_tiles, splits)


def output_tile_slot(m, n, tiles_m, cluster_m: int):
    """The index of output tile (m, n) among the output tiles of whole cluster tiles
    (where the split-K reduction keeps its partials and ticket)."""
    return m + n * ceil_div(tiles_m, cluster_m) * cluster_m


def output_tile_slots(tiles_m, tiles_n, cluster_m: int, cluster_n: int):
    """How many slots `output_tile_slot` uses: the output tiles of every cluster tile."""
    return work_tile_count(tiles_m, tiles_n, cluster_m, cluster_n) * cluster_m * cluster_n


SPLIT_K_BUFFER_MULTIPLE = 4
"""The lengths of a split-K kernel's workspace and tickets are multiples of this: its
compiled signature assumes so (16-byte vectors), and TVM-FFI refuses other lengths."""


def split_k_ticket_count(tiles_m, tiles_n, cluster_m: int, cluster_n: int) -> int:
    """Length of the tickets buffer: one per output tile slot, rounded up to
    SPLIT_K_BUFFER_MULTIPLE (the extra tickets are never used)."""
    slots = output_tile_slots(tiles_m, tiles_n, cluster_m, cluster_n)
    return ceil_div(slots, SPLIT_K_BUFFER_MULTIPLE) * SPLIT_K_BUFFER_MULTIPLE


def split_k_workspace_elements(tile, cluster, splits: int, tiles_m: int, tiles_n: int) -> int:
    """f32 elements of a split-K kernel's workspace: a partial tile per slot and split
    (a multiple of SPLIT_K_BUFFER_MULTIPLE, as every tile is)."""
    tile_m, tile_n, _ = tile
    return output_tile_slots(tiles_m, tiles_n, *cluster) * splits * tile_m * tile_n


def rank_coords(rank, cluster_m: int):
    """(rank_m, rank_n) of a CTA's rank in its cluster."""
    return rank % cluster_m, rank // cluster_m


def tile_coords(tile, rank, tiles_m, tiles_n, cluster_m: int, cluster_n: int, raster: str,
                group: int = 1, minimum=min, splits: int = 1):
    """Output tile (m, n) that the CTA of `rank` computes for linear work tile `tile` (the
    work unit `tile` of a split-K schedule of `splits` slices)."""
    along_m, along_n = cluster_tiles(tiles_m, tiles_n, cluster_m, cluster_n)
    if splits > 1:
        tile = tile % (along_m * along_n)
    if group == 1:
        if raster == "m":
            cluster_tile_m, cluster_tile_n = tile % along_m, tile // along_m
        else:
            cluster_tile_m, cluster_tile_n = tile // along_n, tile % along_n
    else:
        walked, across = (along_m, along_n) if raster == "m" else (along_n, along_m)
        band = tile // (walked * group)
        in_band = tile - band * (walked * group)
        first = band * group
        width = minimum(group, across - first)
        step, offset = in_band // width, first + in_band % width
        cluster_tile_m, cluster_tile_n = (step, offset) if raster == "m" else (offset, step)
    rank_m, rank_n = rank_coords(rank, cluster_m)
    return cluster_tile_m * cluster_m + rank_m, cluster_tile_n * cluster_n + rank_n
