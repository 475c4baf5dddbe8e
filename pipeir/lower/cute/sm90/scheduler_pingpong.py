"""The pingpong tile scheduler of sm_90a (CUTLASS's KernelTmaWarpSpecializedPingpong):
the static persistent schedule, shared out among the MMA warpgroups, and their turns.

Each consumer warpgroup computes whole work tiles of its own: warpgroup w of W takes the
CTA's tiles w, w + W, ... (`pipe.consumer_warpgroup`, `pipe.first_work_tile warpgroup`,
`pipe.work_tile_stride warpgroup`). The warpgroups take turns (`pipe.order_wait` /
`pipe.order_signal`) at issuing their tiles' MMAs and, separately, at their epilogues,
in the order of their tiles, so that one's MMAs run while the other's epilogue does.

A turn is a hardware named barrier per (phase, warpgroup), of the waiting warpgroup's
and the signalling one's threads: `order_wait` is the waiter's `bar.sync` on its own
barrier, `order_signal` the signaller's `bar.arrive` on the next warpgroup's. Named
barriers keep no phase, so nothing is carried through the role's loops; warpgroup 0's
first turns come from the arrivals every other warpgroup makes once, at set-up. The turn
sequence makes a warpgroup arrive on a barrier at most once before its waiter syncs
there. Arrivals left when the last tile's turn ends meet no waiter: the CTA exits.

The epilogues share the staging buffers: before a warpgroup hands its epilogue turn on,
its TMA stores must have read them (`epilogue.finish()`, a wait on the store warp's bulk
groups, precedes its `bar.arrive`, so the next warpgroup's `bar.sync` passes after it).
"""

from __future__ import annotations

from dataclasses import dataclass

import cutlass.cute as cute
import cutlass.pipeline as pipeline

from pipeir.lower.cute.schedulers import StaticPersistentScheduler, StaticPersistentSchedulerDevice
from pipeir.lower.cute.sm90.mainloop_tma_wgmma import THREADS_PER_WARPGROUP

ORDER_BARRIER_IDS = {"mma": 4, "epilogue": 6}
"""The first named barrier of each phase's turns, one per warpgroup from it (0: the CTA's,
1 and 3: the epilogue's store teams, 2: split-K's reduction)."""


@dataclass(frozen=True)
class PingpongPersistentScheduler(StaticPersistentScheduler):
    warpgroups: int
    """Consumer warpgroups, each with tiles of its own."""

    OPS = (*StaticPersistentScheduler.OPS, "pipe.consumer_warpgroup", "pipe.order_wait", "pipe.order_signal")

    @classmethod
    def of(cls, spec, target, warpgroups: int) -> PingpongPersistentScheduler:
        static = StaticPersistentScheduler.of(spec, target)
        return cls(tile=static.tile, cluster=static.cluster, raster=static.raster, group=static.group,
                   max_clusters=static.max_clusters, warpgroups=warpgroups)

    def device(self, tma_tensor_c):
        return PingpongPersistentSchedulerDevice(self, tma_tensor_c)


class PingpongPersistentSchedulerDevice(StaticPersistentSchedulerDevice):
    @cute.jit
    def consumer_setup(self):
        """This thread's consumer warpgroup, and warpgroup 0's first turns (run by the
        consumer role before its first op)."""
        self.warpgroup = cute.arch.make_warp_uniform(cute.arch.thread_idx()[0] // THREADS_PER_WARPGROUP - 1)
        if self.warpgroup != 0:
            self._turn("mma", 0).arrive()
            self._turn("epilogue", 0).arrive()

    def _turn(self, phase: str, warpgroup):
        """The named barrier on which `warpgroup` waits for its turn of `phase`: its threads
        and the signalling warpgroup's."""
        return pipeline.NamedBarrier(barrier_id=ORDER_BARRIER_IDS[phase] + warpgroup,
                                     num_threads=2 * THREADS_PER_WARPGROUP)

    def consumer_warpgroup(self):
        return self.warpgroup

    def warpgroup_first_work_tile(self):
        return self.first_work_tile() + self.warpgroup * self.work_tile_stride()

    def warpgroup_work_tile_stride(self):
        return self.work_tile_stride() * self.config.warpgroups

    def order_wait(self, phase: str):
        self._turn(phase, self.warpgroup).arrive_and_wait()

    def order_signal(self, phase: str, epilogue):
        if phase == "epilogue":
            epilogue.finish()  # the next warpgroup's epilogue writes the staging buffers
        self._turn(phase, (self.warpgroup + 1) % self.config.warpgroups).arrive()
