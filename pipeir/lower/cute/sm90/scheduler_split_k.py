"""The split-K tile scheduler of sm_90a: the persistent schedule over work units
(output tile, K split) and the deterministic reduction of the splits' partial tiles.

Work units, slices and workspace slots are defined once in pipeir.target.schedule. It
lowers the static scheduler's ops over work units, `pipe.k_split`, and
`pipe.split_reduce`, CUTLASS's split-K "fixup" done by the last unit to arrive:

  1. every consumer thread stores its own accumulator registers, in register order,
     contiguously into the workspace at (output tile slot, split, thread): no layout
     conversion, 16-byte vector stores;
  2. the consumer warps meet at a named barrier, and one thread adds 1 to the tile's
     ticket with acquire-release semantics at GPU scope (CUTLASS's generic barrier);
  3. the unit that takes the ticket's last value (splits - 1) resets the ticket to 0
     for the next launch and, after a second barrier, sums the S partials of its
     threads' registers in split order 0..S-1 into the accumulators (its own partial
     read back like the others): the same additions in the same order whichever unit
     arrives last, so the result is bitwise reproducible. Its epilogue then runs once,
     on the sum (fused scales, bias and activation apply after the reduction).

No unit waits for another, so the reduction cannot deadlock the persistent grid. The
workspace (f32, `schedule.split_k_workspace_elements`) and the tickets (int32, one per
`schedule.output_tile_slots`, zero when allocated) belong to the runtime
(pipeir.runtime.workspace), which keeps one pair per kernel, device and stream.
"""

from __future__ import annotations

from dataclasses import dataclass

import cutlass
import cutlass.cute as cute
import cutlass.pipeline as pipeline

from pipeir.lower.cute.schedulers import StaticPersistentScheduler, StaticPersistentSchedulerDevice
from pipeir.lower.cute.sm90.mainloop_tma_wgmma import THREADS_PER_WARPGROUP
from pipeir.target import schedule

REDUCTION_BARRIER_ID = 2
"""Named barrier of the MMA warpgroups for the reduction (0: the CTA's, 1: the epilogue's)."""
VECTOR = 4
"""f32 elements per 16-byte access of the workspace."""


@dataclass(frozen=True)
class SplitKPersistentScheduler(StaticPersistentScheduler):
    splits: int
    """K slices per output tile."""
    consumer_warpgroups: int

    KERNEL_PARAMS = (("split_k_workspace", "cute.Tensor"), ("split_k_tickets", "cute.Tensor"))
    OPS = (*StaticPersistentScheduler.OPS, "pipe.k_split", "pipe.split_reduce")
    DEVICE_ARGUMENTS = ("smem", "tma_tensor_c", "split_k_workspace", "split_k_tickets")

    @classmethod
    def of(cls, spec, target, consumer_warpgroups: int) -> SplitKPersistentScheduler:
        static = StaticPersistentScheduler.of(spec, target)
        return cls(tile=static.tile, cluster=static.cluster, raster=static.raster, group=static.group,
                   max_clusters=static.max_clusters, splits=spec.split_k_count,
                   consumer_warpgroups=consumer_warpgroups)

    @property
    def registers_per_thread(self) -> int:
        tile_m, tile_n, _ = self.tile
        return tile_m * tile_n // (self.consumer_warpgroups * THREADS_PER_WARPGROUP)

    # -- host ---------------------------------------------------------------------------
    def grid(self, mD: cute.Tensor):
        """(cluster_m, cluster_n, clusters): one cluster per persistent slot over the work
        units of the MMA's product D."""
        tiles_m, tiles_n = self._tiles(cute.size(mD, mode=[0]), cute.size(mD, mode=[1]))
        cluster_m, cluster_n = self.cluster
        units = schedule.work_unit_count(tiles_m, tiles_n, cluster_m, cluster_n, self.splits)
        return cluster_m, cluster_n, cutlass.min(units, self.max_clusters)

    def kernel_params(self, workspace: cute.Tensor, tickets: cute.Tensor):
        return workspace, tickets

    # -- device -------------------------------------------------------------------------
    def device(self, smem, tma_tensor_c, workspace, tickets):
        return SplitKPersistentSchedulerDevice(self, smem, tma_tensor_c, workspace, tickets)


class SplitKPersistentSchedulerDevice(StaticPersistentSchedulerDevice):
    def __init__(self, config: SplitKPersistentScheduler, smem, tma_tensor_c, workspace, tickets):
        super().__init__(config, tma_tensor_c)
        threads = config.consumer_warpgroups * THREADS_PER_WARPGROUP
        cluster_m, cluster_n = config.cluster
        slots = schedule.output_tile_slots(self.tiles_m, self.tiles_n, cluster_m, cluster_n)
        # (vector, vectors, thread, split, slot): a thread's partial is contiguous.
        shape = (VECTOR, config.registers_per_thread // VECTOR, threads, config.splits, slots)
        self.partials = cute.make_tensor(workspace.iterator, cute.make_layout(shape))
        self.tickets = tickets
        self.arrival = smem.allocate_tensor(cutlass.Int32, cute.make_layout(1), 4)
        self.barrier = pipeline.NamedBarrier(barrier_id=REDUCTION_BARRIER_ID, num_threads=threads)

    def work_tile_count(self):
        cluster_m, cluster_n = self.config.cluster
        return schedule.work_unit_count(self.tiles_m, self.tiles_n, cluster_m, cluster_n, self.config.splits)

    def tile_coords(self, tile):
        cluster_m, cluster_n = self.config.cluster
        rank = cute.arch.make_warp_uniform(cute.arch.block_idx_in_cluster())
        tile = cute.arch.make_warp_uniform(tile)
        m, n = schedule.tile_coords(tile, rank, self.tiles_m, self.tiles_n, cluster_m, cluster_n, self.config.raster,
                                    self.config.group, cutlass.min, self.config.splits)
        return cute.arch.make_warp_uniform(m), cute.arch.make_warp_uniform(n)

    def k_split(self, tile):
        cluster_m, cluster_n = self.config.cluster
        split = schedule.split_of(cute.arch.make_warp_uniform(tile), self.tiles_m, self.tiles_n, cluster_m, cluster_n)
        return cute.arch.make_warp_uniform(split)

    @cute.jit
    def split_reduce(self, accumulators, m, n, split):
        """`pipe.split_reduce`: store this unit's partial of tile (m, n), take the tile's
        ticket; the last unit sums every split's partial, in split order, into
        `accumulators` and returns True (see the module docstring)."""
        config = self.config
        thread = cute.arch.thread_idx()[0] - THREADS_PER_WARPGROUP
        slot = schedule.output_tile_slot(m, n, self.tiles_m, config.cluster[0])
        registers = cute.make_tensor(accumulators.iterator, cute.make_layout(cute.shape(self.partials)[:2]))
        cute.autovec_copy(registers, self.partials[(None, None, thread, split, slot)])
        # CUTLASS's generic barrier: the named barrier orders every consumer thread's
        # partial before thread 0's ticket, whose release makes them visible at GPU
        # scope and whose acquire makes the other units' partials visible to this CTA
        # (the second barrier orders it before every thread's loads). One fence-like
        # atomic per unit, where a fence.acq_rel.gpu in every thread was a MEMBAR.ALL.GPU
        # and an L1 invalidation per thread, twice.
        self.barrier.arrive_and_wait()
        if thread == 0:
            arrived = cute.arch.atomic_add((self.tickets.iterator + slot).llvm_ptr, cutlass.Int32(1),
                                           sem="acq_rel", scope="gpu")
            if arrived == config.splits - 1:
                self.tickets[slot] = cutlass.Int32(0)  # every split has arrived: ready for the next launch
            self.arrival[0] = arrived
        self.barrier.arrive_and_wait()
        # Every consumer thread reads the arrival before the next unit's thread 0 writes
        # it again: that write follows the next unit's first barrier.
        last = self.arrival[0] == config.splits - 1
        if last:
            vectors = cute.size(registers, mode=[1])
            partial = cute.make_rmem_tensor((VECTOR,), cutlass.Float32)
            for v in cutlass.range_constexpr(vectors):
                cute.autovec_copy(self.partials[(None, v, thread, 0, slot)], partial)
                total = partial.load()
                for s in cutlass.range_constexpr(1, config.splits):
                    cute.autovec_copy(self.partials[(None, v, thread, s, slot)], partial)
                    total = total + partial.load()
                registers[(None, v)].store(total)
        return last
