"""The sm_100a epilogue collective: TMEM accumulator -> registers (tcgen05.ld) -> output
dtype -> shared memory -> global memory (TMA store), one epilogue subtile at a time.

It owns the staging buffers of the output (`stages` subtiles of `epi_tile`), the TMA
store atom of C and the store pipeline, and lowers `pipe.epilogue` and
`pipe.mn_tile_full`. The store of a tile has two parties on Blackwell: the MMA warp,
whose `pipe.epilogue` hands the tile's accumulator buffer over (`AccumulatorHandOver`),
and the epilogue warps, whose `pipe.epilogue` waits for it, stores the tile and gives
the buffer back. The TMA store clips whatever lies outside M x N, so a masked epilogue
(an edge tile) and an unmasked one are the same store.

An epilogue with a computation (a `pipe.epilogue` region of `epi` ops, docs/epilogue.md)
also owns the epilogue operands the kernel takes after C: the epilogue warps' `store` is
given the region's body (generated from the IR) and its loads' placements, and calls the
body on each subtile's values as tcgen05.ld returns them, with one register tensor per
`epi.load` read by `EpilogueOperands` (pipeir/lower/cute/epilogue_operands.py) at the
same registers' (row, column): the TMEM load's thread partition of the tile's identity
tensor, split into subtiles as the accumulator is.

Consecutive tiles' subtiles rotate through the staging buffers as on sm_90a: `stages`
divides a tile's subtiles (the target's rule), so every tile starts at buffer 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import cutlass
import cutlass.cute as cute
import cutlass.pipeline as pipeline
import cutlass.utils.blackwell_helpers as sm100_utils
from cutlass.cute.nvgpu import cpasync, tcgen05
from cutlass.tensor_utils import LayoutEnum

from pipeir.lower.cute.collectives import DeviceView
from pipeir.lower.cute.epilogue_operands import EpilogueOperands
from pipeir.lower.cute.sm100.mainloop_tma_umma import THREADS_PER_WARP
from pipeir.lower.cute.tma_store_epilogue import TmaStoreEpilogueBase, TmaStoreEpilogueDeviceBase

EPILOGUE_BARRIER_ID = 1
"""Named barrier of the epilogue warps (0 is the CTA-wide one)."""


@dataclass(frozen=True, kw_only=True)
class TmemTmaStoreEpilogue(TmaStoreEpilogueBase):
    two_cta: bool
    epilogue_warps: int
    """Warps 0 .. epilogue_warps - 1; the first issues the TMA stores."""

    def smem_layout(self):
        return sm100_utils.make_smem_layout_epi(self.c_type, LayoutEnum.ROW_MAJOR, self.epi_tile, self.stages)

    # -- device -------------------------------------------------------------------------
    def device(self, smem, tma_atom_c, tma_tensor_c, *operand_tensors):
        return TmemTmaStoreEpilogueDevice(self, smem, tma_atom_c, tma_tensor_c, operand_tensors)


class TmemTmaStoreEpilogueDevice(TmaStoreEpilogueDeviceBase):
    def handed_over_by(self, mainloop):
        """The MMA warp's side of `pipe.epilogue`."""
        return AccumulatorHandOver(self, mainloop)

    def consumer_setup(self, mainloop):
        """The epilogue warps' TMEM -> register -> shared-memory copies and the store
        pipeline (after the accumulators are allocated)."""
        config = self.config
        self.mainloop = mainloop
        threads = config.epilogue_warps * THREADS_PER_WARP
        thread = cute.arch.thread_idx()[0]  # the epilogue warps are the CTA's first
        self.barrier = pipeline.NamedBarrier(barrier_id=EPILOGUE_BARRIER_ID, num_threads=threads)
        self.is_store_warp = cute.arch.make_warp_uniform(cute.arch.warp_idx()) == 0
        tile_m, tile_n, _ = config.tile
        # The CTA's accumulator as (tile_m, tile_n, buffer), split into epilogue subtiles.
        accumulators = mainloop.accumulators
        acc = accumulators.layout
        shape, stride = acc.shape, acc.stride
        acc_mn = cute.make_tensor(accumulators.iterator, cute.make_layout(
            ((shape[0][0], shape[1]), (shape[0][1], shape[2]), shape[3]),
            stride=((stride[0][0], stride[1]), (stride[0][1], stride[2]), stride[3])))
        acc_epi = cute.flat_divide(acc_mn, config.epi_tile)  # (EPI_M, EPI_N, em, en, buffer)
        load_op = sm100_utils.get_tmem_load_op(
            (tile_m, tile_n, config.tile[2]), LayoutEnum.ROW_MAJOR, config.c_type, cutlass.Float32,
            config.epi_tile, config.two_cta)
        self.tiled_load = tcgen05.make_tmem_copy(load_op, acc_epi[(None, None, 0, 0, 0)])
        thread_load = self.tiled_load.get_slice(thread)
        self.tTR_acc = thread_load.partition_S(acc_epi)  # (T2R, T2R_M, T2R_N, em, en, buffer)
        gC_epi = cute.flat_divide(self.gC[(None, None, 0, 0)], config.epi_tile)
        subtile_shape = thread_load.partition_D(gC_epi)[(None, None, None, 0, 0)].shape
        self.subtile_acc = cute.make_rmem_tensor(subtile_shape, cutlass.Float32)
        self.subtile_out = cute.make_rmem_tensor(subtile_shape, config.c_type)
        store_op = sm100_utils.get_smem_store_op(LayoutEnum.ROW_MAJOR, config.c_type, cutlass.Float32, self.tiled_load)
        self.tiled_store = cute.make_tiled_copy_D(store_op, self.tiled_load)
        self.tRS_sC = self.tiled_store.get_slice(thread).partition_D(self.sC)  # (R2S, R2S_M, R2S_N, buffer)
        self.tRS_out = self.tiled_store.retile(self.subtile_out)
        if config.operands:
            # (row, column) in the tile of each accumulator element this thread reads, in
            # the order of the values tcgen05.ld returns, subtile after subtile
            tile_coords = cute.flat_divide(cute.make_identity_tensor((tile_m, tile_n)), config.epi_tile)
            tTR_coords = thread_load.partition_D(tile_coords)  # (T2R, T2R_M, T2R_N, em, en)
            tTR_coords = cute.group_modes(tTR_coords, 3, cute.rank(tTR_coords))  # (T2R, T2R_M, T2R_N, subtile)
            self.operands = EpilogueOperands(
                config.operands, self.operand_tensors, (self.m, self.n), config.tile[:2], tTR_coords)
        self.store_pipeline = pipeline.PipelineTmaStore.create(
            num_stages=config.stages,
            producer_group=pipeline.CooperativeGroup(pipeline.Agent.Thread, threads),
        )
        self.tiles_stored = cute.make_rmem_tensor((1,), cutlass.Int32)
        self.tiles_stored[0] = 0

    @cute.jit
    def store(self, m, n, compute: cutlass.Constexpr = None, loads: cutlass.Constexpr = (),
              masked: cutlass.Constexpr = True):
        """`pipe.epilogue`: wait for tile (m, n)'s accumulator, store it converted to c_dtype
        (the accumulators, or `compute(accumulators, *loaded)` of each subtile, with one
        value per (operand, placement) of `loads`: the region's body and its `epi.load`s,
        generated from the IR), and give its buffer back to the MMA warp. An unmasked
        epilogue's tile lies inside M x N: its operands are read unclamped."""
        config = self.config
        state = self.mainloop.accumulator_state(self.tiles_stored[0], producer=False)
        gC_epi = cute.flat_divide(self.gC[(None, None, m, n)], config.epi_tile)  # (EPI_M, EPI_N, em, en)
        bSG_sC, bSG_gC = cpasync.tma_partition(
            self.tma_atom_c, 0, cute.make_layout(1), cute.group_modes(self.sC, 0, 2), cute.group_modes(gC_epi, 0, 2),
        )
        bSG_gC = cute.group_modes(bSG_gC, 1, cute.rank(bSG_gC))  # (TMA, subtile)
        acc = self.tTR_acc[(None, None, None, None, None, state.index)]
        acc = cute.group_modes(acc, 3, cute.rank(acc))  # (T2R, T2R_M, T2R_N, subtile)
        subtiles = cute.size(acc, mode=[3])
        subtile_shape = self.subtile_acc.shape
        tile_m, tile_n, _ = config.tile
        first_row, first_column = m * tile_m, n * tile_n
        if cutlass.const_expr(loads):
            # held operands are read before the accumulator wait: their loads overlap the tile's MMAs
            held = self.operands.tile_values(
                loads, first_row, first_column, subtiles * cute.size(subtile_shape), masked)
        self.mainloop.accumulator_ring.consumer_wait(state)
        for subtile in cutlass.range_constexpr(subtiles):
            # the subtile's operand loads are issued before its tcgen05.ld, whose latency they share
            current = []
            if cutlass.const_expr(loads):
                current = self.operands.subtile_values(
                    loads, held, first_row, first_column, subtile, subtile_shape, masked)
            cute.copy(self.tiled_load, acc[(None, None, None, subtile)], self.subtile_acc)
            values = self.subtile_acc.load()
            if cutlass.const_expr(compute is not None):
                values = compute(values, *[operand.load() for operand in current])
            self.subtile_out.store(values.to(config.c_type))
            buffer = subtile % config.stages
            cute.copy(self.tiled_store, self.tRS_out, self.tRS_sC[(None, None, None, buffer)])
            # make the shared-memory writes visible to the TMA unit (async proxy)
            cute.arch.fence_proxy("async.shared", space="cta")
            self.barrier.arrive_and_wait()
            if self.is_store_warp:
                cute.copy(self.tma_atom_c, bSG_sC[(None, buffer)], bSG_gC[(None, subtile)])
                self.store_pipeline.producer_commit()
                self.store_pipeline.producer_acquire()
            self.barrier.arrive_and_wait()
        # Every thread's tcgen05.ld of the buffer is done (the barrier above): one
        # arrival per warp gives it back.
        with cute.arch.elect_one():
            self.mainloop.accumulator_ring.consumer_release(state)
        self.tiles_stored[0] = self.tiles_stored[0] + 1

    def finish(self):
        """Wait until the last stores have read their buffers (before the CTA exits)."""
        self.store_pipeline.producer_tail()


class AccumulatorHandOver(DeviceView):
    """`pipe.epilogue` as the MMA warp runs it: the tile's UMMAs are issued, and its
    accumulator buffer goes to the epilogue warps (`pipe.mn_tile_full` reads the same)."""

    def __init__(self, epilogue: TmemTmaStoreEpilogueDevice, mainloop):
        self.epilogue = epilogue
        self.mainloop = mainloop

    def tile_is_full(self, m, n):
        return self.epilogue.tile_is_full(m, n)

    def store(self, m, n, compute: cutlass.Constexpr = None, loads: cutlass.Constexpr = (),
              masked: cutlass.Constexpr = True):
        """The region (`compute`, `loads`) is the epilogue warps' to run."""
        self.mainloop.hand_over_accumulator()
