"""Tile schedulers: which output tiles each CTA computes, and in which order.

`StaticPersistentScheduler` launches at most as many clusters as fit the GPU at once
and gives each a fixed stride of the linear work tiles; what the work-tile ops mean is
defined once, in pipeir.target.schedule, and used here on CuTe DSL values (and by the
interpreter on Python ints). It lowers `pipe.first_work_tile`, `pipe.work_tile_count`,
`pipe.work_tile_stride` and `pipe.tile_coords`.
"""

from __future__ import annotations

from dataclasses import dataclass

import cutlass
import cutlass.cute as cute

from pipeir.lower.cute.collectives import Collective, DeviceView
from pipeir.target import schedule


@dataclass(frozen=True)
class StaticPersistentScheduler(Collective):
    tile: tuple[int, int, int]
    cluster: tuple[int, int]
    raster: str
    """"m": consecutive work tiles walk down a column of output tiles; "n": along a row."""
    group: int
    """Cluster tiles per band of the walk (1: whole columns or rows)."""
    max_clusters: int
    """Clusters resident at once (one CTA per SM): the persistent grid's size at most."""

    OPS = ("pipe.first_work_tile", "pipe.work_tile_count", "pipe.work_tile_stride", "pipe.tile_coords")
    DEVICE_ARGUMENTS = ("tma_tensor_c",)
    """What the generated kernel passes to `device` (the kernel's names)."""

    def _tiles(self, m, n):
        tile_m, tile_n, _ = self.tile
        return schedule.ceil_div(m, tile_m), schedule.ceil_div(n, tile_n)

    @classmethod
    def of(cls, spec, target) -> StaticPersistentScheduler:
        """The schedule of configuration `spec` on `target` (one cluster per SM group)."""
        cluster_m, cluster_n = spec.cluster_shape
        return cls(tile=spec.tile_shape, cluster=spec.cluster_shape, raster=spec.raster_order,
                   group=spec.raster_group_size, max_clusters=target.SM_COUNT // (cluster_m * cluster_n))

    # -- host ---------------------------------------------------------------------------
    def grid(self, mD: cute.Tensor):
        """(cluster_m, cluster_n, clusters): one cluster per persistent work slot over the
        MMA's product D (C, or C^T under swap_ab)."""
        tiles_m, tiles_n = self._tiles(cute.size(mD, mode=[0]), cute.size(mD, mode=[1]))
        cluster_m, cluster_n = self.cluster
        clusters = cutlass.min(schedule.work_tile_count(tiles_m, tiles_n, cluster_m, cluster_n), self.max_clusters)
        return cluster_m, cluster_n, clusters

    # -- device -------------------------------------------------------------------------
    def device(self, tma_tensor_c):
        return StaticPersistentSchedulerDevice(self, tma_tensor_c)


class StaticPersistentSchedulerDevice(DeviceView):
    def __init__(self, config: StaticPersistentScheduler, tma_tensor_c):
        self.config = config
        self.tiles_m, self.tiles_n = config._tiles(cute.size(tma_tensor_c, mode=[0]), cute.size(tma_tensor_c, mode=[1]))

    # The work-tile values end up in TMA coordinates, which live in uniform registers:
    # said to be warp-uniform (here and in tile_coords), they get there once instead of
    # through a loop over the warp's lanes at every TMA copy and store.
    def first_work_tile(self):
        return cute.arch.make_warp_uniform(cute.arch.block_idx()[2])

    def work_tile_stride(self):
        return cute.arch.make_warp_uniform(cute.arch.grid_dim()[2])

    def work_tile_count(self):
        cluster_m, cluster_n = self.config.cluster
        return schedule.work_tile_count(self.tiles_m, self.tiles_n, cluster_m, cluster_n)

    def tile_coords(self, tile):
        cluster_m, cluster_n = self.config.cluster
        rank = cute.arch.make_warp_uniform(cute.arch.block_idx_in_cluster())
        tile = cute.arch.make_warp_uniform(tile)
        m, n = schedule.tile_coords(tile, rank, self.tiles_m, self.tiles_n, cluster_m, cluster_n, self.config.raster,
                                    self.config.group, cutlass.min)
        return cute.arch.make_warp_uniform(m), cute.arch.make_warp_uniform(n)
