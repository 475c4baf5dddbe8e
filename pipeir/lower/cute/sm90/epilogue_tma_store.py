"""The sm_90a epilogue collective: accumulators -> output dtype -> shared memory
(stmatrix) -> global memory (TMA store), one epilogue subtile at a time.

It owns the staging buffers of the output (`stages` subtiles of `epi_tile`), the TMA
store atom of C and the store pipeline, and lowers `pipe.epilogue` and
`pipe.mn_tile_full`. The TMA store clips whatever lies outside M x N, so a masked
epilogue (an edge tile) and an unmasked one are the same store.

An epilogue with a computation (a `pipe.epilogue` region of `epi` ops) also owns the
epilogue operands the kernel takes after C (scales, biases, `(M, N)` addends): `store`
is given the region's body, generated from the IR as a function of the subtile's
accumulator values and one value per `epi.load`, and the loads' placements. Each
loaded value is the operand's element at the accumulator element's (row, column) (the
WGMMA partition of the tile's coordinates, retiled like the accumulators), read by
`pipeir.lower.cute.epilogue_operands` once per tile into registers (`tile`) or per
subtile after the accumulator wait (`subtile`).

Its output is the MMA's product D, row-major (C itself), or column-major under swap_ab:
D = C^T, whose columns are the rows of the row-major C. A column-major D is staged
column-major and written with the transposing stmatrix, so the TMA store writes whole
rows of C. A 16-bit output is written to shared memory with stmatrix; an f32 one (which
stmatrix cannot write) with plain stores of the same thread partition (CUTLASS's choice,
`get_smem_store_op`: 64-bit stores of each thread's two adjacent columns).

A gated epilogue (SwiGLU, `epi.swiglu`; never with swap_ab) stores one value per pair of
the product's columns 2j, 2j + 1. In the WGMMA accumulator layout a thread holds both
columns of each pair in consecutive registers (the fragment's first mode, of size 2,
steps one column), and the store's partition keeps that order: the pairs of a subtile's
values are its elements 2i, 2i + 1 (`epilogue_math.swiglu` gates them). Its staging
buffers are half as wide as the accumulator subtile, and the thread partition writes
them through a view with two columns per staged column (`paired_columns`), so that each
pair's register positions share one address and the gated value goes to that of the
pair's first register (plain stores: a thread's gated values lie four columns apart).

The subtiles of consecutive output tiles rotate through the buffers without a break:
`stages` divides the number of subtiles of a tile (the target's rule), so every tile
starts again at buffer 0, and the store pipeline's acquire (at most `stages - 1` stores
in flight) guarantees the buffer about to be written was read by its store.
"""

from __future__ import annotations

from dataclasses import dataclass

import cutlass
import cutlass.cute as cute
import cutlass.pipeline as pipeline
import cutlass.utils.hopper_helpers as sm90_utils
from cutlass.cute.nvgpu import cpasync
from cutlass.tensor_utils import LayoutEnum

from pipeir.lower.cute.epilogue_operands import EpilogueOperands
from pipeir.lower.cute.sm90.mainloop_tma_wgmma import THREADS_PER_WARPGROUP
from pipeir.lower.cute.tma_store_epilogue import TmaStoreEpilogueBase, TmaStoreEpilogueDeviceBase, paired_columns

EPILOGUE_BARRIER_ID = 1
"""Named barrier of the MMA warpgroups (0 is the CTA-wide one); a second store team's is
EPILOGUE_BARRIER_ID + TEAM_BARRIER_STRIDE (2 is split-K's reduction barrier)."""
TEAM_BARRIER_STRIDE = 2


@dataclass(frozen=True, kw_only=True)
class TmaStoreEpilogue(TmaStoreEpilogueBase):
    consumer_warpgroups: int
    store_warp: int
    """The warp that issues the TMA stores (the first MMA warp; a team's first warp)."""
    store_teams: int = 1
    """Teams of `consumer_warpgroups` warpgroups that store tiles of their own (2 under
    pingpong, one per warpgroup, taking turns at the staging buffers)."""
    transposed: bool = False
    """D = C^T (swap_ab): D is column-major."""
    read_ahead: int = 1
    """Subtiles whose operand values are read before the current one is stored (at least 1;
    `Sm90Target.EPILOGUE_READ_AHEAD`)."""

    def __post_init__(self):
        if self.read_ahead < 1:
            raise ValueError(f"TmaStoreEpilogue: read_ahead must be at least 1, got {self.read_ahead}")

    @property
    def d_layout(self) -> LayoutEnum:
        return LayoutEnum.COL_MAJOR if self.transposed else LayoutEnum.ROW_MAJOR

    def smem_layout(self):
        return sm90_utils.make_smem_layout_epi(self.c_type, self.d_layout, self.stored_epi_tile, self.stages)

    # -- host ---------------------------------------------------------------------------
    def stored_of(self, mC: cute.Tensor) -> cute.Tensor:
        """What the epilogue stores over the row-major C: C itself, or its transposed view."""
        if not self.transposed:
            return mC
        return cute.make_tensor(mC.iterator, cute.select(mC.layout, mode=[1, 0]))

    # -- device -------------------------------------------------------------------------
    def device(self, smem, tma_atom_c, tma_tensor_c, *operand_tensors):
        return TmaStoreEpilogueDevice(self, smem, tma_atom_c, tma_tensor_c, operand_tensors)


class TmaStoreEpilogueDevice(TmaStoreEpilogueDeviceBase):
    def consumer_setup(self, tiled_mma, accumulators):
        """The MMA threads' register -> shared-memory copy of the accumulators, and the
        store pipeline (run by the consumer role before its first op)."""
        config = self.config
        threads = config.consumer_warpgroups * THREADS_PER_WARPGROUP
        consumer_thread = cute.arch.thread_idx()[0] - THREADS_PER_WARPGROUP
        team = 0
        if cutlass.const_expr(config.store_teams > 1):
            team = cute.arch.make_warp_uniform(consumer_thread // threads)
            consumer_thread = consumer_thread % threads
        self.barrier = pipeline.NamedBarrier(barrier_id=EPILOGUE_BARRIER_ID + team * TEAM_BARRIER_STRIDE,
                                             num_threads=threads)
        # The stmatrix atom shapes the thread partition (which registers go to which subtile
        # element) whatever the store instruction: stmatrix, or plain stores.
        stmatrix = cute.make_copy_atom(cute.nvgpu.warp.StMatrix8x8x16bOp(config.transposed, 4), config.c_type)
        store_op = (
            cute.make_copy_atom(cute.nvgpu.CopyUniversalOp(), config.c_type) if config.gated else
            sm90_utils.get_smem_store_op(config.d_layout, elem_ty_d=config.c_type, elem_ty_acc=cutlass.Float32)
        )
        tiled_copy = cute.make_tiled_copy_S(store_op, cute.make_tiled_copy_C_atom(stmatrix, tiled_mma))
        thread_copy = tiled_copy.get_slice(consumer_thread)
        store_warp = config.store_warp + team * (threads // 32)
        self.is_store_warp = cute.arch.make_warp_uniform(cute.arch.warp_idx()) == store_warp
        self.tiled_copy = tiled_copy
        staged = paired_columns(self.sC) if config.gated else self.sC  # (EPI_M, EPI_N, stage) of the accumulators
        self.tRS_sC = thread_copy.partition_D(staged)  # (R2S, R2S_M, R2S_N, stage)
        self.tRS_acc = tiled_copy.retile(accumulators)
        subtile_shape = cute.shape(thread_copy.partition_S(staged))[:3]
        self.subtile_shape = subtile_shape
        self.subtile_acc = cute.make_rmem_tensor(subtile_shape, cutlass.Float32)
        stored_shape = cute.size(subtile_shape) // 2 if config.gated else subtile_shape
        self.subtile_out = cute.make_rmem_tensor(stored_shape, config.c_type)
        if config.operands:
            # (row, column) in D's tile of each accumulator element, in tRS_acc's order
            tile_m, tile_n, _ = config.tile
            tile_coords = cute.make_identity_tensor((tile_m, tile_n))
            tRS_coords = tiled_copy.retile(tiled_mma.get_slice(consumer_thread).partition_C(tile_coords))
            self.operands = EpilogueOperands(
                config.operands, self.operand_tensors, (self.m, self.n), (tile_m, tile_n), tRS_coords, config.transposed)
        self.store_pipeline = pipeline.PipelineTmaStore.create(
            num_stages=config.stages,
            producer_group=pipeline.CooperativeGroup(pipeline.Agent.Thread, threads),
        )

    def first_reads(self, m, n, loads, masked):
        """The operand values the epilogue of tile (m, n) reads first, per (operand,
        placement) of `loads`: the values held for the tile (None for a per-subtile
        operand) and those of its first `read_ahead` subtiles. A `pipe.epilogue ...
        prefetch` reads them where the tile's coordinates are known, before its K loop,
        and hands them to `store` (`prefetched`); otherwise `store` reads them after the
        accumulator wait."""
        tile_m, tile_n, _ = self.config.tile
        first_row, first_column = m * tile_m, n * tile_n
        registers = self.config.subtile_count * cute.size(self.subtile_acc)
        held = self.operands.tile_values(loads, first_row, first_column, registers, masked)
        return held, [self.operands.subtile_values(loads, held, first_row, first_column, subtile, self.subtile_shape,
                                                   masked)
                      for subtile in range(min(self.config.read_ahead, self.config.subtile_count))]

    @cute.jit
    def store(self, m, n, compute: cutlass.Constexpr = None, loads: cutlass.Constexpr = (),
              masked: cutlass.Constexpr = True, prefetched: cutlass.Constexpr = None):
        """`pipe.epilogue`: store output tile (m, n), converted to c_dtype: the accumulators,
        or `compute(accumulators, *loaded)` of each subtile, with one value per (operand,
        placement) of `loads` (the region's body and its `epi.load`s, generated from the IR).
        An unmasked epilogue's tile lies inside M x N: its operands are read unclamped.
        `prefetched`: `first_reads`, made before the K loop (`pipe.epilogue ... prefetch`);
        a trace-time pair of register tensor lists, hence Constexpr."""
        config = self.config
        tile_m, tile_n, _ = config.tile
        first_row, first_column = m * tile_m, n * tile_n
        gC_epi = cute.zipped_divide(self.gC[(None, None, m, n)], config.stored_epi_tile)
        bSG_sC, bSG_gC = cpasync.tma_partition(
            self.tma_atom_c, 0, cute.make_layout(1), cute.group_modes(self.sC, 0, 2), gC_epi,
        )
        subtiles = config.subtile_count
        subtile_grid = gC_epi.shape[1]
        subtile_order = cute.make_layout(subtile_grid, stride=(subtile_grid[1], 1))
        per_subtile = cute.size(self.subtile_acc)
        # The operand values of subtiles s + 1 .. s + read_ahead are read before subtile s is
        # stored, so that their latency hides behind the stores and barriers in between
        # instead of stalling every subtile after the first. Reading only the distinct values
        # (a few per subtile) leaves room for these sets beside the accumulators (when each
        # register read its own copy, one set spilled 54 sites at fp8 256x128).
        held, ahead = [], []
        if cutlass.const_expr(loads):
            held, ahead = prefetched if prefetched is not None else self.first_reads(m, n, loads, masked)
        ahead = list(ahead)
        for subtile in cutlass.range_constexpr(subtiles):
            current = []
            if cutlass.const_expr(len(ahead) > 0):
                current = ahead.pop(0)
            if cutlass.const_expr(len(loads) > 0 and subtile + config.read_ahead < subtiles):
                ahead.append(self.operands.subtile_values(
                    loads, held, first_row, first_column, subtile + config.read_ahead, self.subtile_shape, masked))
            for v in cutlass.range_constexpr(per_subtile):
                self.subtile_acc[v] = self.tRS_acc[subtile * per_subtile + v]
            values = self.subtile_acc.load()
            if cutlass.const_expr(compute is not None):
                values = compute(values, *[operand.load() for operand in current])
            self.subtile_out.store(values.to(config.c_type))
            buffer = subtile % config.stages
            if cutlass.const_expr(config.gated):
                # each pair's value to the address of its first register (the second's is the same)
                staged = self.tRS_sC[(None, None, None, buffer)]
                every_other = cute.make_layout(cute.size(self.subtile_out), stride=2)
                pair_firsts = cute.make_tensor(staged.iterator, cute.composition(staged.layout, every_other))
                for v in cutlass.range_constexpr(cute.size(self.subtile_out)):
                    pair_firsts[v] = self.subtile_out[v]
            else:
                cute.copy(self.tiled_copy, self.subtile_out, self.tRS_sC[(None, None, None, buffer)])
            # make the shared-memory writes visible to the TMA unit (async proxy)
            cute.arch.fence_proxy("async.shared", space="cta")
            self.barrier.arrive_and_wait()
            if self.is_store_warp:
                cute.copy(self.tma_atom_c, bSG_sC[(None, buffer)], bSG_gC[(None, subtile_order.get_hier_coord(subtile))])
                self.store_pipeline.producer_commit()
                self.store_pipeline.producer_acquire()
            self.barrier.arrive_and_wait()

    def finish(self):
        """Wait until the last stores have read their buffers (before the CTA exits)."""
        self.store_pipeline.producer_tail()
