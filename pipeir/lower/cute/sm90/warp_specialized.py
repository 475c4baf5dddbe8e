"""The sm_90a warp-specialized persistent kernel: who runs which `pipe.role`.

Warpgroup 0 is the producer's: one of its warps (the role's `warps(1)`) issues the TMA
loads, and the whole warpgroup gives registers back (`setmaxnreg`). The consumer role's
warps (`warps(8)`: two warpgroups) run WGMMA and the epilogue with the registers freed.
"""

from __future__ import annotations

from dataclasses import dataclass

import cutlass.cute as cute
from cutlass.pipeline import pipeline_init_arrive, pipeline_init_wait

from pipeir.lower.cute.collectives import Collective
from pipeir.lower.cute.sm90.mainloop_tma_wgmma import THREADS_PER_WARPGROUP

WARPS_PER_WARPGROUP = 4


@dataclass(frozen=True)
class WarpSpecializedRoles(Collective):
    producer_warps: int
    consumer_warps: int
    cluster: tuple[int, int]
    producer_registers: int
    consumer_registers: int

    OPS = ("pipe.role",)
    PRODUCER_WARP = 0

    @property
    def threads(self) -> int:
        return THREADS_PER_WARPGROUP + self.consumer_warps * 32

    @property
    def first_consumer_warp(self) -> int:
        """The consumer role's first warp: the one after the producer's warpgroup."""
        return WARPS_PER_WARPGROUP

    @property
    def consumer_warpgroups(self) -> int:
        return self.consumer_warps // WARPS_PER_WARPGROUP

    def barriers_initialised(self):
        """Publish this CTA's barrier initialisation to its cluster (no wait)."""
        pipeline_init_arrive(cluster_shape_mn=self.cluster, is_relaxed=True)

    def cluster_sync(self):
        """Wait until every CTA of the cluster initialised its barriers."""
        pipeline_init_wait(cluster_shape_mn=self.cluster)

    def warp(self):
        return cute.arch.make_warp_uniform(cute.arch.warp_idx())

    def in_producer_warpgroup(self, warp):
        return warp < WARPS_PER_WARPGROUP

    def is_producer_warp(self, warp):
        return warp < self.PRODUCER_WARP + self.producer_warps

    def enter_producer(self):
        cute.arch.setmaxregister_decrease(self.producer_registers)

    def enter_consumer(self):
        cute.arch.setmaxregister_increase(self.consumer_registers)

    def launch(self, kernel, grid, stream):
        cluster_m, cluster_n = self.cluster
        kernel.launch(grid=grid, block=[self.threads, 1, 1], cluster=(cluster_m, cluster_n, 1),
                      min_blocks_per_mp=1, stream=stream)

