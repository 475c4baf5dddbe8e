"""The sm_100a warp-specialized persistent kernel: who runs which `pipe.role`.

Warps 0-3 are the epilogue warpgroup (the consumer role's `warps(4)`: they allocate the
TMEM accumulators and run the consumer's epilogue ops), warp 4 issues the UMMAs (the
consumer role's MMA ops; in a 2-CTA kernel only on the leader CTA of each pair), warp 5
is the producer (the TMA loads). No `setmaxnreg`: the accumulators are in TMEM, so no
role needs more registers than another.
"""

from __future__ import annotations

from dataclasses import dataclass

import cutlass.cute as cute
from cutlass.pipeline import pipeline_init_arrive, pipeline_init_wait

from pipeir.lower.cute.collectives import Collective
from pipeir.lower.cute.sm100.mainloop_tma_umma import THREADS_PER_WARP


@dataclass(frozen=True)
class WarpSpecializedRoles(Collective):
    producer_warps: int
    mma_warps: int
    epilogue_warps: int
    cluster: tuple[int, int]

    OPS = ("pipe.role",)

    @property
    def mma_warp(self) -> int:
        return self.epilogue_warps

    @property
    def producer_warp(self) -> int:
        return self.epilogue_warps + self.mma_warps

    @property
    def threads(self) -> int:
        return (self.epilogue_warps + self.mma_warps + self.producer_warps) * THREADS_PER_WARP

    def barriers_initialised(self):
        """Publish this CTA's barrier initialisation to its cluster (no wait)."""
        pipeline_init_arrive(cluster_shape_mn=self.cluster, is_relaxed=True)

    def cluster_sync(self):
        """Wait until every CTA of the cluster initialised its barriers."""
        pipeline_init_wait(cluster_shape_mn=self.cluster)

    def warp(self):
        return cute.arch.make_warp_uniform(cute.arch.warp_idx())

    def is_producer_warp(self, warp):
        return warp >= self.producer_warp

    def is_mma_warp(self, warp):
        return warp == self.mma_warp

    def is_epilogue_warp(self, warp):
        return warp < self.epilogue_warps

    def launch(self, kernel, grid, stream):
        cluster_m, cluster_n = self.cluster
        kernel.launch(grid=grid, block=[self.threads, 1, 1], cluster=(cluster_m, cluster_n, 1),
                      min_blocks_per_mp=1, stream=stream)
