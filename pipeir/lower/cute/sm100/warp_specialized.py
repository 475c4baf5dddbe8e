"""The sm_100a warp-specialized persistent kernel: who runs which `pipe.role`.

Warps 0-3 are the epilogue warpgroup (the consumer role's `warps(4)`: they allocate the
TMEM accumulators and run the consumer's epilogue ops), warp 4 issues the UMMAs (the
consumer role's MMA ops; in a 2-CTA kernel only on the leader CTA of each pair), warp 5
is the producer (the TMA loads). No `setmaxnreg`: the accumulators are in TMEM, so no
role needs more registers than another.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeir.lower.cute.roles import ClusterRoles
from pipeir.lower.cute.sm100.mainloop_tma_umma import THREADS_PER_WARP


@dataclass(frozen=True)
class WarpSpecializedRoles(ClusterRoles):
    producer_warps: int
    mma_warps: int
    epilogue_warps: int

    @property
    def mma_warp(self) -> int:
        return self.epilogue_warps

    @property
    def producer_warp(self) -> int:
        return self.epilogue_warps + self.mma_warps

    @property
    def threads(self) -> int:
        return (self.epilogue_warps + self.mma_warps + self.producer_warps) * THREADS_PER_WARP

    def is_producer_warp(self, warp):
        return warp >= self.producer_warp

    def is_mma_warp(self, warp):
        return warp == self.mma_warp

    def is_epilogue_warp(self, warp):
        return warp < self.epilogue_warps
