"""`pipeir-tune`: the autotuner, choosing tile shape, cluster shape, raster order and
ring depth for one GEMM problem on one GPU.

    pipeir-tune --dtype bf16 --shape 4096x4096x4096 [--shape 8192x8192x8192 ...]
                [--b-major k|mn] [--jobs N] [--compile-only] [--retune]

The fields a GemmConfig leaves as None are free. Every combination of the free
tile and cluster that the target offers (sm_90a: tiles 128x256, 256x128, 128x128, and for
fp8 also 128x256 and 256x128 with 64-deep k-tiles;
clusters 1x1, 2x1, 1x2, 2x2) and raster order (m, n) is built at the deepest ring that fits shared memory, compiled in parallel
worker processes (pipeir.tools.compile_worker) into pipeir's object cache, checked against a
float32 product on the GPU (a wrong result rules it out), and timed as
triton.testing.do_bench times (each launch alone between CUDA events after the L2 is
emptied, after a warm-up, the median; `time_flushed`); the three fastest
are timed again, interleaved, and the best then tries two shallower rings and, when the
consumer is free, the serial WGMMA consumer (`mma_in_flight=0`: with a shallow ring, the
batch the default consumer keeps in flight holds a stage the producer could fill), and,
when the walk is free, bands of RASTER_GROUPS cluster tiles. The
choice is stored in `tuning.json` in pipeir's cache (pipeir.runtime.cache), keyed by GPU,
problem, dtypes, layout, the fixed fields and the pipeir version, and
`pipeir.compile` uses it from then on.

Nothing is ever timed unless asked for: `pipeir.compile(config, tune=True)`,
`pipeir.matmul(..., tune=True)`, the environment variable PIPEIR_TUNE=1, or
`pipeir-tune`. Otherwise a configuration takes the cached choice, or the builder's
defaults; PIPEIR_TUNE=0 (or tune=False) ignores the cache too. Without a CUDA device
nothing is timed either.

Dynamic M (pipeir.matmul): one kernel, compiled with M known only at run time, serves
every M of a schedule class (`m_class`: M <= 64 decode, <= 128 narrow, <= 256 medium, < 8192 wide,
larger large)
for one (N, K, dtypes, layout). Its schedule is the tuned choice of that M class and
(N, K) (`bucket_key`; `tune_bucket` times the class's candidates at its representative
M), or else `heuristic_config`'s by M class and N·K. So a new M costs neither a
compile nor a tuning run.
`--compile-only` fills the object cache without a GPU (CuTe DSL compiles on the
CPU), so a later tuning run only loads and times.
"""

from __future__ import annotations

import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from pipeir.build import epilogue_operands
from pipeir.compiler import compile_kernel
from pipeir.dialects.epi import Broadcast
from pipeir.runtime.activations import ACTIVATIONS
from pipeir.runtime.cache import read_choices, record_choice
from pipeir.runtime.objects import TORCH_DTYPES
from pipeir.runtime.progress import TuningProgress
from pipeir.target import Raster, schedule, target_for
from pipeir.target.base import dtype_bytes
from pipeir.target.spec import ConfigError, GemmConfig, config_to_json
from pipeir.ir import PipeirError
from pipeir.passes import HEADLINE_PIPELINE
from pipeir.version import __version__

SHALLOWER_RINGS = 2
FINALISTS = 3
MAX_RELATIVE_ERROR = 2e-2
"""A candidate whose output differs more than this from a float32 product is out."""
ROTATING_BYTES = 128 * 1024 * 1024
"""Inputs rotated between launches: more than twice the H100's 50 MB L2."""


LARGE_M = 8192
"""The smallest M of the large class. From here on A (M x K) outgrows the 50 MB L2 at
K = 8192 even in fp8, and walks in bands (raster groups) pay: at fp8 8192^3 on the
H200 they gained 3-4% (bench/RESULTS.md), while at M = 4096 they gained nothing. One
wide kernel tuned at M = 4096 ran fp8 8192^3 2-5% behind the static kernel tuned there
(bench/runs/2026-11-30-epilogue-peers.md); tuned at both M at once (the product of its
ratios), it ran 4096^3 `pipeir.scaled_mm` rowwise at 1.111x `_scaled_mm`, below the static
fused kernel tuned at 4096 alone with bias and silu on top (1.124x), and tuned at 4096 alone
at 1.130x (bench/runs/2026-12-01-large-class.md).
Two classes, each tuned at its own M, cost a second compile when one (N, K) is called
on both sides of LARGE_M."""
M_CLASSES: tuple[tuple[int | None, str, int], ...] = (
    (64, "decode", 32),
    (128, "narrow", 128),
    (256, "medium", 256),
    (LARGE_M - 1, "wide", 4096),
    (None, "large", LARGE_M),
)
"""(largest M or None, name, the M a bucket is tuned at): the schedule classes of a
dynamic-M kernel. A decode GEMM streams the weights B once and is bandwidth-bound, a
wide one is compute-bound; one kernel serves every M of a class. The decode bucket is
tuned at M = 32, inside its range: at its largest M (64) the fastest schedule (MMA N =
64) was 4-12% slower at M <= 32 than heuristic_config's (bench/runs/2026-11-30-decode-quick.md).
M = 65..128 and 129..256 are classes of their own: at N = 4096 the fastest schedule at
M = 128 (NARROW_TILE) was 11-21% slower at M = 256 than the 128x64 tile
(bench/runs/2026-11-30-decode-quick-4.md). The large class is the wide one where A
outgrows the L2 (LARGE_M); each is tuned at its smallest common size."""
SMALL_M_CLASSES = ("decode", "narrow", "medium")
"""The classes whose buckets try the small-M candidates (bucket_candidates); the others
(wide, large) try the static tuner's and its finishing variants."""
DECODE_TILE_N = (16, 32, 64, 128)
"""The MMA's N extents the small-M buckets try (with swap_ab, M's tile)."""
SPLIT_K_CANDIDATES = (2, 3, 4, 8)
"""The K splits the small-M buckets try (cluster 1x1; raster n when swapped, else m)."""
def m_class(m: int) -> str:
    """The schedule class of M (see M_CLASSES)."""
    for largest, name, _ in M_CLASSES:
        if largest is None or m <= largest:
            return name
    raise AssertionError("the last class is unbounded")


def class_range(name: str) -> tuple[int, int | None]:
    """(smallest, largest or None) M of a schedule class."""
    smallest = 1
    for largest, class_name, _ in M_CLASSES:
        if class_name == name:
            return smallest, largest
        smallest = (largest or 0) + 1
    raise ValueError(f"no M class '{name}': one of {', '.join(c[1] for c in M_CLASSES)}")


DECODE_TILE = (64, 64)
"""The decode class's MMA tile under pingpong (rows: the weights' N, one MMA warpgroup's 64;
columns: M, under swap_ab): twice the CTAs of the cooperative 128-row tile over the same
weights, and one M tile for every decode M, so each weight tile is read once."""
DECODE_COOPERATIVE_TILE = (128, 32)
"""The decode tile where pingpong is not built or is fixed off (two MMA warpgroups share
a tile's 128 rows)."""
NARROW_TILE = (64, 64)
"""The narrow class's MMA tile where the weights are few (NARROW_CLUSTER): pingpong, swap_ab,
the 64-row weight tile by M's two 64-wide tiles."""
NARROW_CLUSTER = (1, 2)
"""The narrow class's cluster with NARROW_TILE: the CTAs of M's two tiles share each weight
tile, each loading half of it and multicasting it to the other."""
NARROW_PAIR_WAVES = 2
"""The most waves (one CTA on each SM) the narrow class's CTA pairs may take beyond the
first: see narrow_pairs_fit."""
NARROW_PAIR_FILL = 0.9
"""The least share of their waves' SM slots the CTA pairs must fill when they take more
than one wave."""
NARROW_TOKEN_TILE_N = (64, 128)
"""The weight columns of the narrow class's 128-row token tiles where the CTA pairs of
NARROW_TILE do not fit the SMs at once: narrow_token_tile_n picks one per N."""
NARROW_TOKEN_CLUSTER = (1, 2)
"""The narrow class's cluster with 128-row token tiles: the CTAs of two weight tiles share
the token tile, each loading half of it and multicasting it to the other."""
MEDIUM_TILE = (128, 128)
"""The medium class's MMA tile, split or not (unswapped: 128 token rows by 128 weight
columns; swapped: 128 weight rows by 128 tokens)."""
MEDIUM_CLUSTER = (2, 1)
"""The medium class's cluster: the CTAs of M's two 128-row tiles share each weight tile,
each loading half of it and multicasting it to the other."""
DECODE_K_ROW_BYTES = 256
"""Bytes of each weight row a decode k-tile loads (128 bf16 or 256 fp8 elements: twice the
target's default k-tile, half the stages for the same bytes in flight)."""
def decode_tile_k(dtype: str) -> int:
    """The decode class's k-tile: DECODE_K_ROW_BYTES of each weight row."""
    return DECODE_K_ROW_BYTES // dtype_bytes(dtype)


STREAMED_WEIGHT_CLASSES = ("decode", "narrow", "medium")
"""The M classes whose weights (B) the heuristic loads evict-first (GemmConfig.b_evict_first):
each weight tile is read by one CTA or one cluster (of the M tiles that share it by
multicast), so nothing reuses it from the L2."""
MEDIUM_SPLIT_CLUSTER = (1, 2)
"""The medium class's split-K schedule's cluster: swap_ab, so the CTAs of M's two
128-row tiles share each weight tile by multicast (the weights read once)."""
MEDIUM_SPLIT_MIN_ROW_BYTES = 24 * 1024
"""The medium heuristic splits K in two only when a weight row holds at least this many
bytes (and the output tiles leave half the SMs idle): see medium_split_pays."""
SPLIT_K_MIN_ROW_BYTES = 12 * 1024
"""The decode heuristic splits K in two only when a weight row (K elements) holds at least
this many bytes (and the weights' tiles leave three quarters of the SMs idle): see
heuristic_config."""


def heuristic_config(config: GemmConfig, m_class_name: str) -> GemmConfig:
    """The schedule of a dynamic-M `config` for an M class when nothing is tuned.

    decode (M <= 64): swap_ab when B is K-major, so the weights' N fills the WGMMA's
    rows and M is a 64-wide MMA N, under pingpong where the target builds it (one MMA
    warpgroup per 64-row weight tile, DECODE_TILE), the token rows past M not loaded
    (row_slabs, where the target builds it), k-tiles of 256-byte weight rows
    (DECODE_K_ROW_BYTES), the deepest ring. Where pingpong is not built or is fixed off
    (or the tile or the split is fixed), the cooperative 128-row tile
    (DECODE_COOPERATIVE_TILE, or the target's narrowest tile_n if wider), raster n (the
    M tiles of one weight tile run side by side), with K split in two when the weights'
    tiles cover at most a quarter of the SMs and K is long (SPLIT_K_MIN_ROW_BYTES).
    narrow (M = 65..128): where the weights' 64-row tiles, two CTAs each, fit the SMs at
    once or fill two waves (narrow_pairs_fit: N <= 4224 and 7553..8448 on the H200),
    swap_ab under pingpong with NARROW_TILE in clusters of NARROW_CLUSTER, raster m,
    256-byte weight rows, the token rows past M not loaded (row_slabs); else 128-row token
    tiles in clusters of NARROW_TOKEN_CLUSTER (the token tile multicast to two weight
    tiles' CTAs), 64 or 128 weight columns wide by N (narrow_token_tile_n). medium (M =
    129..256): 128x128 in clusters of MEDIUM_CLUSTER, the token rows past M not loaded (row
    slabs: the second token tile is mostly past M at M = 129); where the output tiles are
    few and K long (medium_split_pays), swap_ab 128x128 in clusters of MEDIUM_SPLIT_CLUSTER
    with K split in two, row slabs likewise. In these three classes
    (STREAMED_WEIGHT_CLASSES) the weights load evict-first (b_evict_first, where the
    target builds it). wide: the target's default tile. Free fields only: a fixed field
    stays.

    Measured on the H200 (`bench/decode.py --quick`, one process, geomean against
    cuBLAS over four (N, K)): bench/runs/2026-11-30-decode-medium-5.md (--candidates
    medium, M = 129, 192, 256), 128x128 2x1 with evict-first by row slabs (an edge tile in
    power-of-two boxes, full tiles whole) against whole-tile loads: bf16 0.655-0.975x
    against 0.538-0.657x at M = 129, 0.719-1.089x against 0.714-0.872x at 192, level at
    256; fp8 rowwise 1.140-1.687x against 1.094-1.157x at 129.
    bench/runs/2026-11-30-decode-narrow-2.md (--candidates
    narrow, M = 80, 96, 112, 128): at N = 8192 the pair schedule (two waves) against the
    previous 128x64 tile, bf16 0.996-1.013x cuBLAS against 0.737-1.026x, fp8 rowwise
    1.193-1.220x against 0.960-1.259x; at N = 14336 128x128 in 1x2 clusters 0.997-1.061x
    and 1.098-1.105x against 0.721-1.028x and 0.854-1.074x for 128x64 (the pairs, 3.4
    waves: 0.909-0.928x in bf16); 1x2 clusters against none for 128x64 at N = 8192: bf16
    0.819-1.039x against 0.737-1.026x; row slabs for the 128-row token tile changed
    nothing (within 1%). bench/runs/2026-11-30-decode-medium-3.md (--candidates
    medium), at M = 80 the narrow pair schedule with row slabs against without: bf16
    1.041 against 0.766, fp8 rowwise 1.335 against 1.000 (at M = 64 a full token tile
    took 0-2.5% longer by slabs, -quick-5.md); 128x128 in 2x1 clusters with evict-first
    against without at M = 192 and 256: bf16 0.779 and 0.911 against 0.755 and 0.868, fp8
    1.109 and 1.082 against 1.087 and 1.031 (with row slabs, whose 16 slabs of a 128-row
    tile cost more than a whole-tile load, 0.666 and 0.702 in bf16). Over M = 1..64,
    bench/runs/2026-11-30-decode-quick-6.md, b_evict_first with and without: the 64x64
    decode tile with row slabs 1.135 against 1.016 in bf16 (lowest 1.097 against 0.980),
    1.543 against 1.384 in fp8 rowwise; the narrow schedules at M = 128 gained 7-15% in
    bf16 and 2-10% in fp8 at every (N, K) (what evict-first gains is the L2 clear of
    do_bench's timer: -decode-clean-l2.md, docs/lowering.md).
    -quick-5.md, the decode tiles with row slabs and without: 64x64 with them 1.019
    (lowest 0.996), 64x32 with them 1.018 (lowest 0.861 at M = 64), 64x32 without 1.005
    (0.858, the previous heuristic); fp8 rowwise 1.390, 1.392, 1.379 (lowest 1.154,
    0.987, 0.997). -quick-3.md put pingpong 64x32 raster n ahead of
    the cooperative 128x32 over the decode class: geomean against cuBLAS bf16 0.997
    against 0.966 (the cooperative one with its split at 4096x14336), fp8 rowwise 1.402
    against 1.342, at 16x4096x4096 bf16 1.064 against 0.931; 64x16 wins at M <= 16 but
    loses at M = 64, 64x64 the reverse. Earlier runs set the cooperative schedule:
    bench/runs/2026-11-30-decode-quick.md (128x32 raster n against 128x64 raster m:
    bf16 0.937 against 0.879 at 8192x8192; split 2 paid only at 4096x14336, 32 weight
    tiles with rows of 28 / 14 KiB in bf16 / fp8, and lost 1-14% elsewhere) and
    -quick-2.md (256-byte weight rows per k-tile ahead of 128-byte ones at three (N, K)
    of four, level at the fourth). At M = 128 (bench/runs/2026-11-30-decode-quick-4.md)
    the narrow schedule above against 128x64: bf16 1.023x against 0.911x cuBLAS at
    4096x4096 and 1.059x against 0.821x at 4096x14336, fp8 rowwise 1.325x against 1.199x
    and 1.471x against 1.240x; at N = 8192 and 14336 (twice the SMs' CTAs and more) it
    lost 2-8%. At M = 129..256 (bench/runs/2026-11-30-decode-medium.md) 128x128 had the
    best geomean of six schedules: bf16 0.653x cuBLAS against 0.523x for 128x64, fp8
    rowwise 0.977x against 0.802x; in 2x1 clusters (-medium-2.md) 0.741x and 1.079x,
    against 0.652x and 0.980x unclustered the same hour.
    """
    target = target_for(config.arch)
    tile_k = target.default_tile(config.dtype)[2]
    split = cluster = None
    raster = config.raster
    pingpong = config.pingpong
    row_slabs = config.row_slabs
    if m_class_name == "decode":
        swap = target.builds_swap_ab(config)
        if pingpong is None:  # a fixed tile or split keeps the cooperative schedule it was set for
            pingpong = may_swap_under_pingpong(config, target)
        rows, columns = DECODE_TILE if pingpong else DECODE_COOPERATIVE_TILE
        # a target without 32-wide MMA tiles (sm_100a: 64 at least) takes its narrowest
        tile = (rows, max(columns, min(target.TILE_N)), decode_tile_k(config.dtype))
        if not pingpong:
            raster = raster or Raster.N
        if row_slabs is None:
            row_slabs = bool(pingpong and target.ROW_SLABS)
        weight_tiles = schedule.ceil_div(config.n, tile[0]) if config.n is not None else None
        if (swap and not pingpong and target.SPLIT_K and weight_tiles is not None and config.k is not None
                and weight_tiles * 4 <= target.SM_COUNT
                and config.k * dtype_bytes(config.dtype) >= SPLIT_K_MIN_ROW_BYTES):
            split = 2
    elif m_class_name == "narrow" and narrow_pairs_fit(config, target):
        swap, pingpong, cluster = True, True, NARROW_CLUSTER
        tile, raster = (*NARROW_TILE, decode_tile_k(config.dtype)), raster or Raster.M
        if row_slabs is None:
            row_slabs = target.ROW_SLABS
    elif m_class_name == "narrow":
        swap, tile, cluster = False, (128, narrow_token_tile_n(config.n, target), tile_k), NARROW_TOKEN_CLUSTER
    elif m_class_name == "medium":
        swap = medium_split_pays(config, target)
        tile, cluster = (*MEDIUM_TILE, tile_k), MEDIUM_SPLIT_CLUSTER if swap else MEDIUM_CLUSTER
        split = 2 if swap else None
        if row_slabs is None:
            row_slabs = target.ROW_SLABS
    else:
        swap, tile = False, target.default_tile(config.dtype)
    b_evict_first = config.b_evict_first
    if b_evict_first is None and m_class_name in STREAMED_WEIGHT_CLASSES:
        b_evict_first = target.B_EVICT_FIRST
    chosen = replace(config, swap_ab=swap, tile=config.tile or tile, raster=raster,
                     split_k=config.split_k or split, pingpong=pingpong, cluster=config.cluster or cluster,
                     row_slabs=row_slabs, b_evict_first=b_evict_first)
    return replace(chosen, stages=config.stages or chosen.max_stages)


def medium_split_pays(config: GemmConfig, target) -> bool:
    """Whether the medium class (M = 129..256) splits K in two: swap_ab MEDIUM_TILE in
    clusters of MEDIUM_SPLIT_CLUSTER, split_k 2, where the output tiles of MEDIUM_TILE at
    the class's largest M cover at most half the SMs and a weight row (K elements) holds at least
    MEDIUM_SPLIT_MIN_ROW_BYTES; only where the target builds swap_ab and split-K and the
    schedule, tile and split are free.

    Measured on the H200 (bench/runs/2026-11-30-decode-medium-split.md, M = 129, 192,
    256): at N = 4096 (64 tiles) and K = 14336 in bf16 (28 KiB rows), 0.801-0.861x cuBLAS
    against 0.655-0.731x unsplit; at K = 4096 (8 KiB) 0.535-0.687x against 0.693-0.908x;
    at 8192x8192 (128 tiles) 0.598-0.636x against 0.971-1.034x; fp8 at 4096x14336 (14
    KiB rows) 0.991-1.277x against 1.074-1.363x. Fitting unsplit and split times linear
    in K at N = 4096 (bf16: 26.6 and 35 us at K = 4096, 73 and 60 us at 14336) puts the
    break-even near 16 KiB rows; the threshold keeps a margin above it."""
    free = config.pingpong is None and config.tile is None and config.split_k is None
    if not (free and target.SPLIT_K and target.builds_swap_ab(config) and config.n is not None
            and config.k is not None):
        return False
    _, largest_m = class_range("medium")
    tiles = schedule.ceil_div(largest_m, MEDIUM_TILE[0]) * schedule.ceil_div(config.n, MEDIUM_TILE[1])
    return tiles * 2 <= target.SM_COUNT and config.k * dtype_bytes(config.dtype) >= MEDIUM_SPLIT_MIN_ROW_BYTES


def narrow_token_tile_n(n: int | None, target) -> int:
    """The weight columns of the narrow class's 128-row token tiles (NARROW_TOKEN_TILE_N) for
    N weight rows: the fewest columns per SM over the waves the tiles take (a wave: one tile
    on each SM), and on a tie the wider tile, whose CTAs read the tokens fewer times. On the
    H200: 64 at N = 8192 (128 tiles, one wave), 128 at N = 14336 (112 tiles in one wave,
    where 64 takes two)."""
    if n is None:
        return NARROW_TOKEN_TILE_N[0]
    def columns_per_sm(columns: int) -> int:
        return schedule.ceil_div(schedule.ceil_div(n, columns), target.SM_COUNT) * columns
    return min(reversed(NARROW_TOKEN_TILE_N), key=columns_per_sm)


def may_swap_under_pingpong(config: GemmConfig, target) -> bool:
    """Whether a heuristic may give `config` a swapped pingpong schedule: the target builds
    swap_ab for it and pingpong, and the schedule, tile and split are free."""
    free = config.pingpong is None and config.tile is None and config.split_k_count == 1
    return free and target.builds_swap_ab(config) and target.PINGPONG


def narrow_pairs_fit(config: GemmConfig, target) -> bool:
    """Whether the narrow class's pingpong schedule applies to `config`: a swapped pingpong
    schedule may be chosen, the cluster is free too, and the CTA pairs of the weights'
    NARROW_TILE rows fit the SMs in one wave, or fill NARROW_PAIR_WAVES waves to at least
    NARROW_PAIR_FILL (on the H200: N <= 4224, and N = 7553..8448; at N = 14336 the pairs
    take 3.4 waves, and 128-row token tiles win)."""
    if config.n is None or not may_swap_under_pingpong(config, target) or config.cluster is not None:
        return False
    pairs = NARROW_CLUSTER[1] * schedule.ceil_div(config.n, NARROW_TILE[0])
    waves = schedule.ceil_div(pairs, target.SM_COUNT)
    return waves == 1 or (waves <= NARROW_PAIR_WAVES and pairs >= NARROW_PAIR_FILL * waves * target.SM_COUNT)


@dataclass(frozen=True)
class Timing:
    config: GemmConfig
    ms: float | None
    error: str | None = None
    tried: int = 0
    """Candidates timed to find this one (the winner's)."""


def describe(config: GemmConfig) -> str:
    tm, tn, tk = config.tile_shape
    cm, cn = config.cluster_shape
    return (f"{'swap_ab ' if config.swap_ab else ''}{'pingpong ' if config.pingpong else ''}"
            f"{f'split_k {config.split_k_count} ' if config.split_k_count > 1 else ''}tile {tm}x{tn}x{tk} cluster {cm}x{cn} "
            f"raster {config.raster_order}{f' group {config.raster_group_size}' if config.raster_group_size > 1 else ''} "
            f"stages {config.stage_count} mma_in_flight {config.mma_in_flight_count}"
            f"{' row_slabs' if config.row_slabs else ''}{' b_evict_first' if config.b_evict_first else ''}")


def is_tunable(config: GemmConfig) -> bool:
    """A static problem in the warp-specialized form (dynamic-M kernels are tuned by M
    class: tune_bucket)."""
    return None not in (config.m, config.n, config.k) and config.warp_specialize


def candidates(config: GemmConfig) -> list[GemmConfig]:
    """Every valid combination of the free schedule (cooperative or pingpong), tile,
    cluster and raster choices (the target's candidate tiles of each schedule, and its
    clusters)."""
    target = target_for(config.arch)
    schedules = [config.pingpong] if config.pingpong is not None else [False, *([True] if target.PINGPONG else [])]
    schedule_tiles = [
        (pingpong, tile)
        for pingpong in schedules
        for tile in ([config.tile] if config.tile else target.candidate_tiles(config.dtype, pingpong))
    ]
    clusters = [config.cluster] if config.cluster else target.CLUSTER_SHAPES
    rasters = [config.raster] if config.raster else tuple(Raster)
    found = []
    for (pingpong, tile), cluster, raster in itertools.product(schedule_tiles, clusters, rasters):
        candidate = replace(config, pingpong=pingpong, tile=tuple(tile), cluster=tuple(cluster), raster=raster)
        if config.stages is None:
            candidate = replace(candidate, stages=candidate.max_stages)
        found.append(candidate)
    return valid(found)


def valid(configs) -> list[GemmConfig]:
    """The configurations the target can build (its check refuses the others)."""
    found = []
    for config in configs:
        try:
            config.validate()
        except ConfigError:
            continue
        found.append(config)
    return found


RASTER_GROUPS = (4, 8)
"""Bands of the persistent walk the best finalist also tries: at 8192^3 on the H200, 8
gained 3-4% over whole columns (4: 2-4%), and at 4096^3 neither gained (bench/RESULTS.md)."""


def finishing_variants(best: GemmConfig, free: GemmConfig) -> list[GemmConfig]:
    """What the best finalist is timed against at the end: two shallower rings when the ring
    depth is free, the serial consumer when the consumer is free and the best keeps a
    WGMMA batch in flight, and walks in bands (RASTER_GROUPS) when the walk is free."""
    variants = []
    if free.raster_group is None:
        variants += [replace(best, raster_group=group) for group in RASTER_GROUPS]
    if free.stages is None:
        deepest = best.stage_count
        variants += [replace(best, stages=s) for s in range(deepest - 1, max(deepest - 1 - SHALLOWER_RINGS, 0), -1)]
    if free.mma_in_flight is None and best.mma_in_flight_count > 0:
        variants.append(replace(best, mma_in_flight=0))
    return variants


def reachable(config: GemmConfig) -> list[GemmConfig]:
    """Every configuration `tune(config)` may choose: each candidate, and the finishing
    variants it gets should it be the best finalist."""
    found = []
    for candidate in candidates(config):
        for variant in (candidate, *finishing_variants(candidate, config)):
            if variant not in found:
                found.append(variant)
    return found


def tuning_key(config: GemmConfig, device_name: str) -> str:
    fixed = ",".join(
        f"{field}={getattr(config, field)}"
        for field in ("tile", "cluster", "raster", "raster_group", "stages", "mma_in_flight", "split_k", "pingpong")
        if getattr(config, field) is not None
    ) + (",swap_ab" if config.swap_ab else "") + (",row_slabs" if config.row_slabs else "") + (
        ",b_evict_first" if config.b_evict_first else "")
    fixed = fixed.lstrip(",")
    return (
        f"{device_name}|{config.arch}|{config.dtype}->{config.c_dtype}|"
        f"{config.m}x{config.n}x{config.k}|b_major={config.b_major}|fixed={fixed or '-'}|"
        f"{epilogue_part(config)}pipeir {__version__}"
    )


def epilogue_part(config: GemmConfig) -> str:
    """The tuning keys' part that names an epilogue ("" for the plain product): a fused
    kernel is tuned with its epilogue, whose cost differs by schedule."""
    if not config.has_epilogue:
        return ""
    return f"epilogue={config.scale or '-'},{'bias' if config.bias else '-'},{config.activation or '-'}|"


def bucket_key(config: GemmConfig, m_class_name: str, device_name: str) -> str:
    """The tuning cache's key of a dynamic-M kernel: M class and its range (a choice tuned
    for another range of M is not taken), N and K, dtypes, layout."""
    smallest, largest = class_range(m_class_name)
    return (
        f"{device_name}|{config.arch}|{config.dtype}->{config.c_dtype}|M {m_class_name} {smallest}..{largest or ''}|"
        f"{config.n}x{config.k}|b_major={config.b_major}|{epilogue_part(config)}pipeir {__version__}"
    )


def apply_choice(config: GemmConfig, choice: dict) -> GemmConfig:
    return replace(
        config,
        tile=tuple(choice["tile"]),
        cluster=tuple(choice["cluster"]),
        raster=choice["raster"],
        raster_group=choice.get("raster_group"),  # absent in a choice recorded before it was tuned: 1
        stages=choice["stages"],
        mma_in_flight=choice.get("mma_in_flight"),  # absent in a choice recorded before it was tuned: free
        # a plain product's choice taken by its fused kernel: unswapped where the epilogue cannot run swapped
        swap_ab=bool(choice.get("swap_ab", config.swap_ab)) and target_for(config.arch).builds_swap_ab(config),
        split_k=choice.get("split_k"),  # absent in a choice recorded before split-K: no split
        pingpong=choice.get("pingpong", False),  # absent in a choice recorded before pingpong: cooperative
    )


def tuning_requested(tune: bool | None) -> bool | None:
    """tune=True/False as given; None follows PIPEIR_TUNE ("1": tune, "0": not even the
    cache), else None: the cached choice, never a tuning run."""
    if tune is not None:
        return tune
    return {"1": True, "0": False}.get(os.environ.get("PIPEIR_TUNE", ""))


def tuned_config(config: GemmConfig, passes: Sequence[str] = HEADLINE_PIPELINE,
                 tune_now: bool | None = None) -> GemmConfig:
    """`config` with its free fields from the tuner's cached choice, or from a tuning run
    now when one is asked for (`tuning_requested`); the builder's defaults otherwise."""
    requested = tuning_requested(tune_now)
    if requested is False or not is_tunable(config) or all(
        getattr(config, field) is not None for field in ("tile", "cluster", "raster", "stages")
    ):
        return config
    import torch

    if not torch.cuda.is_available():
        return config
    device = torch.cuda.get_device_name()
    choices = read_choices()
    choice = choices.get(tuning_key(config, device))
    if choice is None and requested:
        return apply_choice(config, config_to_json(tune(config, passes).config))
    if choice is None and config.has_epilogue:
        # not tuned with its epilogue (scales, bias, activation): its plain product's choice
        choice = choices.get(tuning_key(config.mainloop, device))
    return apply_choice(config, choice) if choice is not None else config


def dispatch_config(config: GemmConfig, m: int, passes: Sequence[str] = HEADLINE_PIPELINE,
                    tune_now: bool | None = None) -> GemmConfig:
    """The schedule of the dynamic-M kernel (`config.m` is None) that serves M = `m`:
    the bucket's cached choice, a bucket tuning run when one is asked for, else
    `heuristic_config`. Never times anything unless asked. An epilogue takes the
    schedule tuned with it, else its plain product's, like `tuned_config`."""
    name = m_class(m)
    requested = tuning_requested(tune_now)
    if requested is not False:
        import torch

        if torch.cuda.is_available():
            device = torch.cuda.get_device_name()
            choices = read_choices()
            choice = choices.get(bucket_key(config, name, device))
            if choice is None and requested:
                return apply_choice(config, config_to_json(tune_bucket(config, name, passes).config))
            if choice is None and config.has_epilogue:
                choice = choices.get(bucket_key(config.mainloop, name, device))
            if choice is not None:
                return apply_choice(config, choice)
    return heuristic_config(config, name)


def prepare(config: GemmConfig, passes: Sequence[str]) -> str | None:
    """Compile one candidate into the object cache; returns why it failed, if it did."""
    try:
        compile_kernel(config, passes)
    except (ConfigError, PipeirError) as error:
        return str(error)
    except Exception as error:  # a CuTe DSL compile failure: the candidate is out, not the run
        return f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
    return None


def prepare_all(configs: Sequence[GemmConfig], passes: Sequence[str], jobs: int,
                on_compiled=None) -> dict[GemmConfig, str | None]:
    """Compile `configs` through `passes` into the object cache on `jobs` worker processes;
    `on_compiled()` is called as each one finishes."""
    errors = compile_in_parallel([(config, tuple(passes)) for config in configs], jobs, on_compiled)
    return dict(zip(configs, errors))


WORKER_POLL_SECONDS = 0.2


def compile_in_parallel(items: Sequence[tuple[GemmConfig, tuple[str, ...]]], jobs: int,
                        on_compiled=None) -> list[str | None]:
    """Compile each (config, passes) into the object cache; per item, None or why it failed.
    `on_compiled()` is called once per item as it finishes (workers write one result a line)."""
    on_compiled = on_compiled or (lambda: None)
    if jobs <= 1 or len(items) <= 1:
        results = []
        for config, passes in items:
            results.append(prepare(config, passes))
            on_compiled()
        return results
    chunks = [list(range(i, len(items), jobs)) for i in range(min(jobs, len(items)))]
    results: list[str | None] = [None] * len(items)
    with tempfile.TemporaryDirectory(prefix="pipeir-tune-") as scratch:
        workers = []
        for index, chunk in enumerate(chunks):
            request = Path(scratch, f"{index}.json")
            request.write_text(json.dumps(
                [{"config": config_to_json(items[i][0]), "passes": list(items[i][1])} for i in chunk]
            ))
            with open(request) as stdin, open(Path(scratch, f"{index}.out"), "w") as stdout, \
                    open(Path(scratch, f"{index}.err"), "w") as stderr:
                worker = subprocess.Popen([sys.executable, "-m", "pipeir.tools.compile_worker"],
                                          stdin=stdin, stdout=stdout, stderr=stderr)
            workers.append((worker, chunk, index))
        reported = 0
        while True:
            running = any(worker.poll() is None for worker, _, _ in workers)
            finished = sum(_finished_lines(Path(scratch, f"{index}.out")) for _, _, index in workers)
            for _ in range(reported, finished):
                on_compiled()
            reported = max(reported, finished)
            if not running:
                break
            time.sleep(WORKER_POLL_SECONDS)
        for _ in range(reported, len(items)):  # items of a worker that died
            on_compiled()
        for worker, chunk, index in workers:
            try:
                lines = Path(scratch, f"{index}.out").read_text().splitlines()
                errors = [json.loads(line) for line in lines]
                if len(errors) != len(chunk):
                    raise ValueError("a result is missing")
            except ValueError:
                log = Path(scratch, f"{index}.err").read_text().strip()
                last = log.splitlines()[-1] if log else f"exit status {worker.returncode}"
                errors = [f"compiler process failed: {last}"] * len(chunk)
            for position, error in zip(chunk, errors):
                results[position] = error
    return results


def bucket_candidates(config: GemmConfig, m_class_name: str) -> list[GemmConfig]:
    """What `tune_bucket` tries for a dynamic-M kernel of an M class: in the small-M
    classes (SMALL_M_CLASSES; decode: k-tiles of DECODE_K_ROW_BYTES weight rows), swap_ab (B
    K-major) and not, with the MMA's N in DECODE_TILE_N and
    clusters along the MMA's N (the small operand multicast), each of those tiles
    split along K (SPLIT_K_CANDIDATES, cluster 1x1), all by row slabs unless `row_slabs`
    is fixed, and, swapped, the pingpong schedule's 64-row weight tiles (clusters 1x1 and
    1x2, both rasters, with row slabs and without unless `row_slabs` is fixed); a fixed
    `pingpong` keeps its schedule's candidates only; in STREAMED_WEIGHT_CLASSES the weights
    evict-first unless `b_evict_first` is fixed; and heuristic_config's schedule. In the
    wide class the static tuner's candidates. Each at its deepest ring."""
    target = target_for(config.arch)
    if m_class_name not in SMALL_M_CLASSES:
        return candidates(config)
    tile_k = decode_tile_k(config.dtype) if m_class_name == "decode" else target.default_tile(config.dtype)[2]
    # The target refuses swap_ab where it cannot build it (an MN-major B, a backend without
    # the transposed store), and pingpong where it is not built: `valid` drops those candidates.
    found = []
    if config.pingpong is not True:
        # The bucket is timed at one M, where the 128-row tiles are mostly full: row slabs
        # cost a full tile nothing (it loads whole) and can only show their gain at other M
        # (the medium class at M = 129: 0.94x cuBLAS with them, 0.57x without,
        # bench/runs/2026-11-30-decode-medium-5.md), so these take them unless fixed.
        slabs = target.ROW_SLABS if config.row_slabs is None else config.row_slabs
        for swap, tile_n, cluster, raster in itertools.product(
                (True, False), DECODE_TILE_N, ((1, 1), (1, 2), (2, 1)), tuple(Raster)):
            candidate = replace(config, swap_ab=swap, tile=(128, tile_n, tile_k), cluster=cluster, raster=raster,
                                pingpong=False, row_slabs=slabs)
            found.append(replace(candidate, stages=candidate.max_stages))
        # The target refuses splits it cannot build or that leave slices empty (more splits
        # than K's k-tiles): `valid` drops those too.
        for swap, tile_n, splits in itertools.product((True, False), DECODE_TILE_N, SPLIT_K_CANDIDATES):
            # swapped, raster n keeps the M tiles of one weight tile side by side
            candidate = replace(config, swap_ab=swap, tile=(128, tile_n, tile_k), cluster=(1, 1),
                                raster=Raster.N if swap else Raster.M, split_k=splits, pingpong=False,
                                row_slabs=slabs)
            found.append(replace(candidate, stages=candidate.max_stages))
    if config.pingpong is not False:
        slab_choices = (False, True) if config.row_slabs is None else (config.row_slabs,)
        for tile_n, cluster, raster, row_slabs in itertools.product(
                DECODE_TILE_N, ((1, 1), (1, 2)), tuple(Raster), slab_choices):
            candidate = replace(config, swap_ab=True, tile=(DECODE_TILE[0], tile_n, tile_k), cluster=cluster,
                                raster=raster, pingpong=True, row_slabs=row_slabs)
            found.append(replace(candidate, stages=candidate.max_stages))
    if config.b_evict_first is None and m_class_name in STREAMED_WEIGHT_CLASSES:
        # evict-first weights won in the pairs measured (heuristic_config): not tried without
        found = [replace(candidate, b_evict_first=target.B_EVICT_FIRST) for candidate in found]
    # the untuned schedule too, so that tuning never picks worse than not tuning (the
    # medium class's split schedule lies outside the grid above)
    found.append(heuristic_config(config, m_class_name))
    return valid(dict.fromkeys(found))


def tune_bucket(config: GemmConfig, m_class_name: str, passes: Sequence[str] = HEADLINE_PIPELINE,
                jobs: int | None = None, report=None, progress: bool | None = None) -> Timing:
    """Tune the dynamic-M kernel of one M class and (N, K): every candidate timed at the
    class's representative M; the best is recorded under `bucket_key`. The best of a
    compute-bound class (wide, large) also tries the finishing variants (shallower rings,
    the serial consumer, raster groups), as a static problem's does."""
    import torch

    at_m = next(at for _, name, at in M_CLASSES if name == m_class_name)
    found = bucket_candidates(config, m_class_name)
    best = tune_candidates(config, found, passes, jobs, report, progress, at_m=at_m,
                           finishing=m_class_name not in SMALL_M_CLASSES)
    record_choice(bucket_key(config, m_class_name, torch.cuda.get_device_name()), best.config, best.ms,
                  len(found))
    return best


def _finished_lines(path: Path) -> int:
    try:
        return path.read_bytes().count(b"\n")
    except OSError:
        return 0


def operand_sets(config: GemmConfig, at_m: int | None = None):
    import torch

    m, n, k = at_m or config.m, config.n, config.k
    size = dtype_bytes(config.dtype)
    per_set = (m * k + n * k) * size + m * n * 2
    count = max(1, min(8, -(-ROTATING_BYTES // per_set)))
    b_shape = (n, k) if config.b_major == "k" else (k, n)
    sets = []
    columns = n // 2 if config.gated else n
    for _ in range(count):
        a = torch.randn(m, k, device="cuda").to(TORCH_DTYPES[config.dtype])
        b = torch.randn(*b_shape, device="cuda").to(TORCH_DTYPES[config.dtype])
        c = torch.empty(m, columns, device="cuda", dtype=TORCH_DTYPES[config.c_dtype])
        operands = [epilogue_operand(name, broadcast, dtype, m, n) for name, broadcast, dtype in epilogue_operands(config)]
        sets.append((a, b, c, *operands))
    return sets


def epilogue_operand(name: str, broadcast: Broadcast, dtype: str, m: int, n: int):
    """A random epilogue operand as the kernel takes it (a scalar as a 1-element vector): a
    scale in [0.5, 1.5), a bias normal."""
    import torch

    length = {Broadcast.SCALAR: 1, Broadcast.M: m, Broadcast.N: n}[broadcast]
    values = torch.randn(length, device="cuda") if name == "bias" else torch.rand(length, device="cuda") + 0.5
    return values.to(TORCH_DTYPES[dtype])


FLUSH_BYTES = 256 * 2**20
"""What the timer zeroes before each launch to empty the L2 of the inputs, as
triton.testing.do_bench (the benchmarks' timer) does."""


def time_flushed(function, sets, flush, warmup_ms: float = 100.0, target_ms: float = 50.0) -> float:
    """do_bench's method: the median milliseconds of launches each timed alone between CUDA
    events, each after zeroing `flush` (FLUSH_BYTES), cycling through the operand `sets`;
    `warmup_ms` of such launches first, then enough for about `target_ms` (10 to 1000).

    Both halves matter on a GPU that runs its GEMMs at the power limit (the H200 at
    700 W). Launched back to back with no flush, as this tuner timed before, a kernel reads
    what the previous launch left in the L2 (every problem from 8192^3 fp8 up has a single
    operand set). And timed for a few ms after an idle gap, it runs at the clock a cold GPU
    has, before the power limit pulls it down: there the tuner timed fp8 8192^3 kernels at
    0.73 ms that do_bench timed at 0.85 ms, ranking the candidates by that clock, not by
    what they draw; with the warm-up it times them at 0.79 ms
    (bench/runs/2026-11-30-tuner-timing.md)."""
    def timed(count: int) -> list[float]:
        operands = itertools.cycle(sets)
        return flushed_launch_times(lambda: function(*next(operands)), count, flush.zero_)

    estimate = max(statistics.median(timed(len(sets) + 2)), 1e-3)
    timed(max(1, min(2000, int(warmup_ms / estimate))))
    return statistics.median(timed(max(10, min(1000, int(target_ms / estimate)))))


def flushed_launch_times(launch, count: int, flush) -> list[float]:
    """Milliseconds of `count` calls of `launch()`, each timed alone between CUDA events
    after `flush()` (which empties the L2): do_bench's loop, which `time_flushed` and the
    benchmarks' clean-L2 timer (bench/gemm.py) share."""
    import torch

    starts = [torch.cuda.Event(enable_timing=True) for _ in range(count)]
    ends = [torch.cuda.Event(enable_timing=True) for _ in range(count)]
    for start, end in zip(starts, ends):
        flush()
        start.record()
        launch()
        end.record()
    torch.cuda.synchronize()
    return [start.elapsed_time(end) for start, end in zip(starts, ends)]


def flush_buffer():
    """The buffer `time_flushed` zeroes between launches."""
    import torch

    return torch.empty(FLUSH_BYTES // 4, dtype=torch.int32, device="cuda")


def reference_product(operands, b_major: str):
    """A @ B in float32 for one operand set (B is (N, K) when K-major)."""
    a, b = operands[:2]
    return a.float() @ (b.float().t() if b_major == "k" else b.float())


def reference_output(config: GemmConfig, operands):
    """What `config`'s kernel computes for one operand set (a, b, c, *epilogue operands),
    in float32: the product, then the epilogue's scales, bias and activation as torch
    computes them (pipeir.runtime.activations)."""
    value = reference_product(operands, config.b_major)
    for (name, broadcast, _), operand in zip(epilogue_operands(config), operands[3:]):
        operand = operand.float().reshape((-1, 1) if broadcast == Broadcast.M else (1, -1))
        value = value + operand if name == "bias" else value * operand
    return ACTIVATIONS[config.activation](value) if config.activation is not None else value


def relative_error(function, operands, reference) -> float:
    """Frobenius-relative error of `function` on one operand set (a, b, c, *epilogue
    operands), its output c poisoned with NaN first so that a kernel which writes nothing
    cannot pass."""
    c = operands[2]
    c.fill_(float("nan"))
    function(*operands)
    return ((c.float() - reference).norm() / reference.norm()).item()


def measure(configs: Sequence[GemmConfig], failures: dict, passes: Sequence[str], sets, flush,
            reference=None, on_timed=None) -> list[Timing]:
    """Time each config (`time_flushed`, zeroing `flush` between launches); with a
    `reference`, a candidate must first reproduce it. `on_timed(timing)` is called after
    each."""
    timings = []
    for config in configs:
        if failures.get(config):
            timing = Timing(config, None, failures[config])
        else:
            kernel = compile_kernel(config, passes)
            error = relative_error(kernel.function, sets[0], reference) if reference is not None else 0.0
            if not error <= MAX_RELATIVE_ERROR:  # NaN fails too
                timing = Timing(config, None, f"wrong result: relative error {error:.2e}")
            else:
                timing = Timing(config, time_flushed(kernel.function, sets, flush))
        timings.append(timing)
        if on_timed is not None:
            on_timed(timing)
    return timings


def tune(
    config: GemmConfig,
    passes: Sequence[str] = HEADLINE_PIPELINE,
    jobs: int | None = None,
    report=None,
    progress: bool | None = None,
) -> Timing:
    """Time every candidate for `config` on the current GPU, record and return the best.

    `progress` shows a progress line on stderr (candidates compiled and timed, the best
    so far); None shows it when stderr is a terminal or PIPEIR_PROGRESS=1
    (pipeir.runtime.progress)."""
    import torch

    best = tune_candidates(config, candidates(config), passes, jobs, report, progress)
    record_choice(tuning_key(config, torch.cuda.get_device_name()), best.config, best.ms, best.tried)
    return best


def tune_candidates(config: GemmConfig, first: Sequence[GemmConfig], passes: Sequence[str],
                    jobs: int | None, report, progress: bool | None = None, *, at_m: int | None = None,
                    finishing: bool = True) -> Timing:
    """The fastest of `first` that reproduces a float32 product (at M = `at_m` for a
    dynamic-M config): a first round, three interleaved rounds of the finalists, then
    (with `finishing`) `finishing_variants` of the best, timed beside it: the fastest
    replaces it if faster. `tried` counts every timing."""
    jobs = jobs or default_jobs()
    if not first:
        raise ConfigError(f"no valid configuration to tune for {config}")
    status = TuningProgress(
        f"pipeir: tuning {config.dtype} {at_m or config.m}x{config.n}x{config.k} b_major={config.b_major}",
        len(first), enabled=progress)
    try:
        return _tune(config, passes, jobs, report, status, list(first), at_m, finishing)
    finally:
        status.close()


def _tune(config, passes, jobs, report, status: TuningProgress, first: list[GemmConfig], at_m,
          finishing) -> Timing:
    def timed(timing: Timing) -> None:
        status.timed_one(timing.ms, describe(timing.config))

    failures = prepare_all(first, passes, jobs, status.compiled_one)
    status.retimed("timing")
    sets = operand_sets(config, at_m)
    flush = flush_buffer()
    reference = reference_output(config, sets[0])
    timings = measure(first, failures, passes, sets, flush, reference, timed)
    ranked = sorted((t for t in timings if t.ms is not None), key=lambda t: t.ms)
    if not ranked:
        raise ConfigError("no candidate compiled and computed the right result: "
                          + "; ".join(t.error for t in timings))
    finalists = [t.config for t in ranked[:FINALISTS]]
    status.retimed(f"timing the {len(finalists)} fastest again")
    rounds = [measure(finalists, {}, passes, sets, flush) for _ in range(3)]
    finals = [
        Timing(c, statistics.median(r[i].ms for r in rounds)) for i, c in enumerate(finalists)
    ]
    best = min(finals, key=lambda t: t.ms)
    variants = finishing_variants(best.config, config) if finishing else []
    if variants:
        status.add_candidates(len(variants), "shallower rings, the serial consumer and raster groups")
        failures = prepare_all(variants, passes, jobs, status.compiled_one)

        def timed_variant(timing: Timing) -> None:
            if timing.config is not best.config:  # the best, timed again beside them, is no new candidate
                timed(timing)

        again, *varied = measure([best.config, *variants], failures, passes, sets, flush, reference,
                                 timed_variant)
        timings += varied
        best = finishing_choice(again, varied) or best
    if report is not None:
        for timing in sorted(timings, key=lambda t: (t.ms is None, t.ms or 0)):
            result = f"{timing.ms:.4f} ms" if timing.ms is not None else f"failed: {timing.error}"
            report(f"  {describe(timing.config):56} {result}")
    return replace(best, tried=len(timings))


def finishing_choice(best: Timing, variants: Sequence[Timing]) -> Timing | None:
    """The finishing variant that replaces `best` (timed again beside them), or None: the
    fastest of those that ran, if it is faster."""
    fastest = min((t for t in variants if t.ms is not None), key=lambda t: t.ms, default=None)
    return fastest if fastest is not None and fastest.ms < best.ms else None


def default_jobs() -> int:
    return max(1, min(len(os.sched_getaffinity(0)), 12))
