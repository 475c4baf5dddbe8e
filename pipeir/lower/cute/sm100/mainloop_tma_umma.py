"""The sm_100a mainloop collective: TMA loads into a ring of shared-memory stages
guarded by CuTe DSL's `PipelineTmaUmma`, consumed by tcgen05 UMMAs that accumulate in
tensor memory (TMEM).

It owns the A/B stages and their barriers, the TMA atoms of A and B, the tiled UMMA,
the TMEM accumulators and their pipeline to the epilogue warps (`PipelineUmmaAsync`, two
buffers, so that the epilogue of one tile overlaps the MMAs of the next), and lowers the
ring's ops: init_state, advance, acquire, copy, commit, producer_tail, wait, mma,
mma_wait, release, acc_init, k_tile_count, k_tile_fits, k_tile_full, cta_rank_in_cluster.

1-CTA and 2-CTA. With an even cluster_m, each pair of CTAs along M (cluster ranks 2i and
2i + 1, whose output tiles are adjacent rows) issues one 256-row UMMA (cta_group::2):
each CTA loads its own 128 rows of A and half of B's tile_n rows, both CTAs' TMA loads
arrive on the leader CTA's (even rank's) full barrier, only the leader's MMA warp issues,
and its release (tcgen05.commit) arrives on the empty barriers of both. The tile
coordinates the IR gives stay the CTA's own; the UMMA's tile row is m // 2.

A is (M, K) K-major; B is viewed as (N, K), K-major or MN-major. TMA loads zero-fill
outside the tensor, so a K tail needs no masking.
"""

from __future__ import annotations

from dataclasses import dataclass

import cutlass
import cutlass.cute as cute
import cutlass.pipeline as pipeline
import cutlass.utils.blackwell_helpers as sm100_utils
from cutlass.cute.nvgpu import cpasync, tcgen05
from cutlass.memory import TmemAllocator, get_num_tmem_alloc_cols
from cutlass.tensor_utils import LayoutEnum

from pipeir.lower.cute.tma_mainloop import SMEM_ALIGNMENT, TmaMainloop, TmaMainloopDevice

THREADS_PER_WARP = 32
TMEM_ALLOC_BARRIER_ID = 2
"""Named barrier of the MMA warp and the epilogue warps: the TMEM address is published."""


@dataclass(frozen=True)
class TmaUmmaMainloop(TmaMainloop):
    """`tile` is the CTA's tile: a 2-CTA UMMA covers the tiles of a CTA pair along M."""

    accumulator_stages: int
    epilogue_warps: int
    """Warps that read the accumulators back (they allocate TMEM and release each buffer)."""
    k_static: int | None
    """K when the kernel is compiled for one K (kept as a run-time Int32 all the same, so
    the IR's k-tile guards stay run-time tests in the naive form), else None."""

    # -- shared by host and device ----------------------------------------------------
    @property
    def two_cta(self) -> bool:
        return self.cluster[0] % 2 == 0

    @property
    def ctas_per_mma(self) -> int:
        return 2 if self.two_cta else 1

    @property
    def mma_tiler(self) -> tuple[int, int, int]:
        tile_m, tile_n, tile_k = self.tile
        return tile_m * self.ctas_per_mma, tile_n, tile_k

    def make_tiled_mma(self):
        """The tcgen05 tiled MMA: one UMMA of the CTA (pair)'s tile per k-block."""
        b_layout = LayoutEnum.ROW_MAJOR if self.b_major == "k" else LayoutEnum.COL_MAJOR
        return sm100_utils.make_trivial_tiled_mma(
            self.a_type,
            self.b_type,
            LayoutEnum.ROW_MAJOR.mma_major_mode(),
            b_layout.mma_major_mode(),
            cutlass.Float32,
            tcgen05.CtaGroup.TWO if self.two_cta else tcgen05.CtaGroup.ONE,
            self.mma_tiler[:2],
        )

    def cluster_layout_vmnk(self, tiled_mma):
        """The cluster as (CTAs of one UMMA, M, N, 1)."""
        return cute.tiled_divide(cute.make_layout((*self.cluster, 1)), (tiled_mma.thr_id.shape,))

    def smem_layouts(self, tiled_mma):
        """(A, B) staged shared-memory layouts: (MMA, MMA_M/N, MMA_K, stage)."""
        a = sm100_utils.make_smem_layout_a(tiled_mma, self.mma_tiler, self.a_type, self.stages)
        b = sm100_utils.make_smem_layout_b(tiled_mma, self.mma_tiler, self.b_type, self.stages)
        return a, b

    # -- host ---------------------------------------------------------------------------
    def kernel_params(self, mA: cute.Tensor, mB: cute.Tensor):
        tiled_mma = self.make_tiled_mma()
        a_layout, b_layout = self.smem_layouts(tiled_mma)
        vmnk = self.cluster_layout_vmnk(tiled_mma).shape
        tma_atom_a, tma_tensor_a = cute.nvgpu.make_tiled_tma_atom_A(
            sm100_utils.cluster_shape_to_tma_atom_A(self.cluster, tiled_mma.thr_id),
            mA, cute.slice_(a_layout, (None, None, None, 0)), self.mma_tiler, tiled_mma, vmnk,
        )
        tma_atom_b, tma_tensor_b = cute.nvgpu.make_tiled_tma_atom_B(
            sm100_utils.cluster_shape_to_tma_atom_B(self.cluster, tiled_mma.thr_id),
            self.b_as_nk(mB), cute.slice_(b_layout, (None, None, None, 0)), self.mma_tiler, tiled_mma, vmnk,
        )
        return tma_atom_a, tma_tensor_a, tma_atom_b, tma_tensor_b, tiled_mma

    # -- device -------------------------------------------------------------------------
    def device(self, smem, tma_atom_a, tma_tensor_a, tma_atom_b, tma_tensor_b, tiled_mma):
        return TmaUmmaMainloopDevice(self, smem, tma_atom_a, tma_tensor_a, tma_atom_b, tma_tensor_b, tiled_mma)


class TmaUmmaMainloopDevice(TmaMainloopDevice):
    """The mainloop inside the kernel: its rings, partitions and accumulators, and one
    method per `pipe` op it lowers."""

    def __init__(self, config: TmaUmmaMainloop, smem, tma_atom_a, tma_tensor_a, tma_atom_b,
                 tma_tensor_b, tiled_mma):
        self.config = config
        self.tma_atom_a, self.tma_atom_b, self.tiled_mma = tma_atom_a, tma_atom_b, tiled_mma
        a_layout, b_layout = config.smem_layouts(tiled_mma)
        vmnk = config.cluster_layout_vmnk(tiled_mma)
        self.cluster_layout_vmnk = vmnk
        mcast_a, mcast_b = cute.size(vmnk, mode=[2]), cute.size(vmnk, mode=[1])
        self.multicast = {"a": mcast_a > 1, "b": mcast_b > 1}

        ring_barriers = smem.allocate_array(cutlass.Int64, config.stages * 2, byte_alignment=8)
        acc_barriers = smem.allocate_array(cutlass.Int64, config.accumulator_stages * 2, byte_alignment=8)
        tmem_dealloc_barrier = smem.allocate_array(cutlass.Int64, 1, byte_alignment=8)
        tmem_address = smem.allocate_array(cutlass.Int32, 1, byte_alignment=4)
        sA = smem.allocate_tensor(config.a_type, a_layout.outer, SMEM_ALIGNMENT, a_layout.inner)
        sB = smem.allocate_tensor(config.b_type, b_layout.outer, SMEM_ALIGNMENT, b_layout.inner)

        stage_bytes = cute.size_in_bytes(config.a_type, cute.slice_(a_layout, (None, None, None, 0))) + \
            cute.size_in_bytes(config.b_type, cute.slice_(b_layout, (None, None, None, 0)))
        # The leader's full barrier expects the bytes of both CTAs of a pair; its empty
        # barrier gets one tcgen05.commit arrival from each UMMA issuer that read it
        # (those of the CTAs its multicasts reached).
        self.ring = pipeline.PipelineTmaUmma.create(
            barrier_storage=ring_barriers,
            num_stages=config.stages,
            producer_group=pipeline.CooperativeGroup(pipeline.Agent.Thread),
            consumer_group=pipeline.CooperativeGroup(pipeline.Agent.Thread, mcast_a + mcast_b - 1),
            tx_count=stage_bytes * config.ctas_per_mma,
            cta_layout_vmnk=vmnk,
            defer_sync=True,
        )
        # Each epilogue warp of both CTAs of a pair arrives once on the leader's empty
        # accumulator barrier.
        self.accumulator_ring = pipeline.PipelineUmmaAsync.create(
            barrier_storage=acc_barriers,
            num_stages=config.accumulator_stages,
            producer_group=pipeline.CooperativeGroup(pipeline.Agent.Thread),
            consumer_group=pipeline.CooperativeGroup(
                pipeline.Agent.Thread, config.epilogue_warps * config.ctas_per_mma),
            cta_layout_vmnk=vmnk,
            defer_sync=True,
        )
        self.tmem = TmemAllocator(
            tmem_address,
            barrier_for_retrieve=pipeline.NamedBarrier(
                barrier_id=TMEM_ALLOC_BARRIER_ID, num_threads=THREADS_PER_WARP * (config.epilogue_warps + 1)),
            allocator_warp_id=0,  # the first epilogue warp (the roles put them first)
            is_two_cta=config.two_cta,
            two_cta_tmem_dealloc_mbar_ptr=tmem_dealloc_barrier,
        )

        # TMA partitions: this CTA's slice of each load, for every (UMMA tile, k-tile).
        rank = self.cluster_rank()
        coord = vmnk.get_flat_coord(rank)
        self.mma_slice = rank % config.ctas_per_mma  # which half of a 2-CTA UMMA this CTA holds
        thr_mma = tiled_mma.get_slice(self.mma_slice)
        tile_m, tile_n, tile_k = config.mma_tiler
        gA = cute.local_tile(tma_tensor_a, (tile_m, tile_k), (None, None))  # (bM, bK, RestM, RestK)
        gB = cute.local_tile(tma_tensor_b, (tile_n, tile_k), (None, None))  # (bN, bK, RestN, RestK)
        self.tAsA, self.tAgA = cpasync.tma_partition(
            tma_atom_a, coord[2], cute.make_layout(cute.slice_(vmnk, (0, 0, None, 0)).shape),
            cute.group_modes(sA, 0, 3), cute.group_modes(thr_mma.partition_A(gA), 0, 3),
        )  # (TMA, stage), (TMA, RestM, RestK)
        self.tBsB, self.tBgB = cpasync.tma_partition(
            tma_atom_b, coord[1], cute.make_layout(cute.slice_(vmnk, (0, None, 0, 0)).shape),
            cute.group_modes(sB, 0, 3), cute.group_modes(thr_mma.partition_B(gB), 0, 3),
        )
        self.tCrA = tiled_mma.make_fragment_A(sA)  # (MMA, MMA_M, MMA_K, stage)
        self.tCrB = tiled_mma.make_fragment_B(sB)
        accumulators = tiled_mma.make_fragment_C(
            cute.append(tiled_mma.partition_shape_C(config.mma_tiler[:2]), config.accumulator_stages))
        self.accumulator_layout = accumulators.layout  # (MMA, MMA_M, MMA_N, buffer)
        self.tmem_columns = get_num_tmem_alloc_cols(accumulators)
        self.k = cutlass.Int32(config.k_static) if config.k_static is not None else cute.size(tma_tensor_a, mode=[1])
        self.k_tiles = cute.size(gA, mode=[3])
        # A per-thread counter that lives across the role's loops (a view holds no run-time
        # value of its own): the tiles whose accumulator this thread handed over, which
        # picks the accumulator buffer and its pipeline position.
        self.tiles_handed_over = cute.make_rmem_tensor((1,), cutlass.Int32)
        self.tiles_handed_over[0] = 0

    def is_mma_leader(self):
        """Whether this CTA issues the UMMAs of its pair (every CTA, with 1-CTA UMMAs)."""
        return self.mma_slice == 0

    # -- multicast -----------------------------------------------------------------------
    def mcast_mask(self, operand: str, rank):
        """The CTAs that receive `operand`'s load issued by the CTA of `rank` (A: the
        CTAs of its cluster row, B: of its column, counted in UMMA pairs); 0 when the
        operand is not multicast."""
        if not self.multicast[operand]:
            return 0
        coord = self.cluster_layout_vmnk.get_flat_coord(rank)
        return cpasync.create_tma_multicast_mask(
            self.cluster_layout_vmnk, coord, mcast_mode=2 if operand == "a" else 1)

    # -- producer ------------------------------------------------------------------------
    def acquire(self, state):
        self.ring.producer_acquire(state)

    def copy(self, operand: str, tile, k_tile, state, mcast_mask):
        """TMA-load k-tile `k_tile` of `operand`'s tile row (A: m) or column (B: n)."""
        if operand == "a":
            atom, gmem, smem, mma_tile = self.tma_atom_a, self.tAgA, self.tAsA, tile // self.config.ctas_per_mma
        else:
            atom, gmem, smem, mma_tile = self.tma_atom_b, self.tBgB, self.tBsB, tile
        cute.copy(atom, gmem[(None, mma_tile, k_tile)], smem[(None, state.index)],
                  tma_bar_ptr=self.ring.producer_get_barrier(state), mcast_mask=mcast_mask)

    def commit(self, state):
        self.ring.producer_commit(state)  # the TMA loads complete the full barrier themselves

    def producer_tail(self, state):
        self.ring.producer_tail(state)

    # -- accumulators (MMA warp and epilogue warps) ----------------------------------------
    def allocate_accumulators(self):
        """Allocate the TMEM accumulators (run by the epilogue warps, the first of which
        allocates for the CTA pair)."""
        self.tmem.allocate(self.tmem_columns)

    def consumer_setup(self):
        """Wait for the TMEM allocation and view the accumulators (MMA and epilogue warps)."""
        self.tmem.wait_for_alloc()
        self.accumulators = cute.make_tensor(self.tmem.retrieve_ptr(cutlass.Float32), self.accumulator_layout)

    def free_accumulators(self):
        """Give the TMEM back once the last tile's accumulator was read (epilogue warps)."""
        self.tmem.relinquish_alloc_permit()
        self.tmem.free(self.accumulators.iterator)

    def accumulator_state(self, tiles, producer: bool) -> pipeline.PipelineState:
        """The accumulator pipeline's position after `tiles` tiles (a producer starts at phase 1)."""
        stages = self.config.accumulator_stages
        phase = (tiles // stages) % 2
        return pipeline.PipelineState(stages, tiles, tiles % stages, phase ^ 1 if producer else phase)

    # -- consumer (the MMA warp) ------------------------------------------------------------
    def acc_init(self):
        """Wait until the epilogue warps have read the accumulator buffer this tile
        reuses; returns the accumulate flag of the tile's first mma: off, so its first
        UMMA overwrites the buffer (TMEM cannot be zeroed cheaply)."""
        self.accumulator_ring.producer_acquire(self.accumulator_state(self.tiles_handed_over[0], producer=True))
        return cutlass.Boolean(False)

    def wait(self, state):
        self.ring.consumer_wait(state)

    def mma(self, state, accumulate):
        """Issue the UMMAs of the k-tile in `state`'s stage into the tile's accumulator
        buffer (asynchronous: `pipe.release` commits them); the first adds to the buffer
        only if `accumulate`. Returns the flag of the next mma: on."""
        # A TiledMma of its own, made from the kernel argument's values: setting a field
        # redefines the atom, and a definition inside this mma's loop or branch must not
        # be what another mma (or the next tile) starts from.
        tiled_mma = cutlass.new_from_mlir_values(self.tiled_mma, cutlass.extract_mlir_values(self.tiled_mma))
        accumulator = self.accumulators[(None, None, None, self.tiles_handed_over[0] % self.config.accumulator_stages)]
        stage = cute.arch.make_warp_uniform(state.index)
        for k_block in range(cute.size(self.tCrA, mode=[2])):  # unrolled while tracing
            tiled_mma.set(tcgen05.Field.ACCUMULATE, accumulate if k_block == 0 else True)
            coord = (None, None, k_block, stage)
            cute.gemm(tiled_mma, accumulator, self.tCrA[coord], self.tCrB[coord], accumulator)
        return cutlass.Boolean(True)

    def mma_wait(self, pending: int):
        """Nothing to wait for: tcgen05.commit (in `release` and in the accumulator's
        hand-over) arrives once the UMMAs issued before it complete, so every reader
        of a stage or of the accumulator already waits on its barrier."""

    def release(self, state):
        self.ring.consumer_release(state)

    def hand_over_accumulator(self):
        """The tile's UMMAs are issued: the accumulator buffer becomes the epilogue
        warps' once they complete (tcgen05.commit on its full barrier)."""
        self.accumulator_ring.producer_commit(self.accumulator_state(self.tiles_handed_over[0], producer=True))
        self.tiles_handed_over[0] = self.tiles_handed_over[0] + 1

    def accumulator_tail(self):
        """Before the MMA warp exits: wait until the epilogue warps released every buffer."""
        self.accumulator_ring.producer_tail(self.accumulator_state(self.tiles_handed_over[0], producer=True))
