"""The sm_90a warp-specialized persistent kernel: who runs which `pipe.role`.

Warpgroup 0 is the producer's: one of its warps (the role's `warps(1)`) issues the TMA
loads, and the whole warpgroup gives registers back (`setmaxnreg`). The consumer role's
warps (`warps(8)`: two warpgroups) run WGMMA and the epilogue with the registers freed.
"""

from __future__ import annotations

from dataclasses import dataclass

import cutlass.cute as cute

from pipeir.lower.cute.roles import ClusterRoles
from pipeir.lower.cute.sm90.mainloop_tma_wgmma import THREADS_PER_WARPGROUP

WARPS_PER_WARPGROUP = 4


@dataclass(frozen=True)
class WarpSpecializedRoles(ClusterRoles):
    producer_warps: int
    consumer_warps: int
    producer_registers: int
    consumer_registers: int

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

    def in_producer_warpgroup(self, warp):
        return warp < WARPS_PER_WARPGROUP

    def is_producer_warp(self, warp):
        return warp < self.PRODUCER_WARP + self.producer_warps

    def enter_producer(self):
        cute.arch.setmaxregister_decrease(self.producer_registers)

    def enter_consumer(self):
        cute.arch.setmaxregister_increase(self.consumer_registers)
