"""The sm_90a mainloop collective: TMA loads (multicast across the cluster) into a ring
of shared-memory stages guarded by CuTe DSL's `PipelineTmaAsync`, consumed by WGMMA.

It owns the A/B stages and their barriers, the TMA atoms of A and B, the tiled MMA and
the accumulators, and lowers the ring's ops: init_state, advance, acquire, copy, commit,
producer_tail, wait, mma, mma_wait, release, acc_init, k_tile_count, k_tile_fits,
k_tile_full, cta_rank_in_cluster.

Under split-K (`split_k` S > 1) a work unit's K loop covers its slice: k_tile_count is
ceil(k_tiles / S), K (for k_tile_fits / k_tile_full) that many whole k-tiles, and a copy
of split s loads k-tile s * k_tile_count + k_tile (past K: zeros, pipeir.target.schedule).

A is (M, K) K-major; B is viewed as (N, K), K-major or MN-major (then read with strides
(1, N)). TMA loads zero-fill outside the tensor, so a K tail needs no masking: the last
k-tile is loaded whole and its missing part adds zeros.

Rows past the end are another matter. Under `row_slabs` (GemmConfig.row_slabs), an operand
whose tile rows may run past its tensor (`slab_operands`: a row extent known only at run
time, as M is for a dynamic-M kernel, or not a multiple of the tile) loads a tile that
lies wholly inside its tensor in one box, as without them, and the tile that runs past
the end (the edge tile) by slabs: its rows inside the tensor, rounded up to whole 8-row
slabs, in at most one box of each power-of-two height below the tile's (`slab_sizes`: a
128-row tile's 72 rows as a 64-row box and an 8-row one). The slabs past the end are not
loaded: their bytes are reported to the stage's barrier (mbarrier complete_tx) instead.
Each such operand takes a TMA atom per box height (`KERNEL_PARAMS`). The TMA unit fills
out-of-bounds rows with zeros, but not for free: on the H200 a swap_ab 64x64 tile
streamed 1x4096x14336 (bf16) in 62 us against 44 us at 64x4096x14336, the same weights
with every token row in bounds (bench/runs/2026-11-30-decode-quick-3.md); and loading 8-row
slabs one by one cost more than the zero fill where many rows are in bounds: 16 of them
for a full 128-row tile 12-23% (bench/runs/2026-11-30-decode-medium-3.md), 8 for an edge
tile's 64 rows at M = 192 up to 27% (-decode-medium-4.md).
The skipped rows keep what the stage held before; they feed only accumulator rows (or,
under swap_ab, columns) past the end, which the epilogue does not store. A slab is 8 rows,
the height of every WGMMA swizzle atom, so every box is whole atoms of the stage and the
boxes write exactly the bytes the whole-tile load would.

An operand of `evict_first_operands` (GemmConfig.b_evict_first: B, the MMA's A under
swap_ab) is loaded with an L2 evict-first cache policy, so that its lines are the L2's
first victims: weights streamed once give way to what the L2 holds for others.
"""

from __future__ import annotations

from dataclasses import dataclass

import cutlass
import cutlass.cute as cute
import cutlass.pipeline as pipeline
import cutlass.utils.hopper_helpers as sm90_utils
from cutlass.cute.nvgpu import cpasync, warpgroup
from cutlass.experimental.primitives.nvvm_wrapper import mbarrier_complete_tx
from cutlass.tensor_utils import LayoutEnum

from pipeir.lower.cute.tma_mainloop import SMEM_ALIGNMENT, TmaMainloop, TmaMainloopDevice
from pipeir.target import schedule
from pipeir.target.base import dtype_bytes

THREADS_PER_WARPGROUP = 128
SLAB_ROWS = 8
"""Rows of a slab load (the height of the WGMMA swizzle atoms)."""
EVICT_FIRST_POLICY = 0x12F0000000000000
"""The L2 cache policy of an evict-first load: the 64-bit operand of PTX's `.L2::cache_hint`
as `createpolicy.fractional.L2::evict_first` makes it for a fraction of 1 (CUTLASS's
CacheHintSm90::EVICT_FIRST)."""


def slab_box(rows, height: int):
    """Of an edge tile's first `rows` rows (a multiple of SLAB_ROWS below the tile's
    power-of-two height), loaded in one box of each power of two of their count, largest
    first: whether a box of `height` rows is among them, and its index in boxes of that
    height (the larger boxes' rows come before it, a multiple of `height`). Python ints
    (tests) or CuTe DSL Int32 (the producer) alike."""
    return (rows & height) != 0, (rows & -(2 * height)) // height


@dataclass(frozen=True)
class TmaWgmmaMainloop(TmaMainloop):
    consumer_warpgroups: int
    """MMA warpgroups of one output tile: all of the consumer's (they split its M), or one
    under pingpong (each warpgroup its own tiles, and its own releases of their stages)."""
    k_static: int | None
    """K when the kernel is compiled for one K (kept as a run-time Int32 all the same, so
    the IR's k-tile guards stay run-time tests in the naive form), else None."""
    split_k: int = 1
    """K slices per output tile: the K loop of a work unit covers one."""
    slab_operands: tuple[str, ...] = ()
    """The operands ("a", "b": the MMA's) loaded by 8-row slabs that skip the rows past the
    tensor's end (the module docstring); `slab_operands_of` chooses them."""
    evict_first_operands: tuple[str, ...] = ()
    """The operands ("a", "b": the MMA's) loaded with an L2 evict-first policy;
    `evict_first_operands_of` chooses them."""

    @staticmethod
    def slab_operands_of(spec) -> tuple[str, ...]:
        """The MMA operands of configuration `spec` to load by slabs: under `row_slabs`,
        those whose tile rows may run past the end of their tensor (a row extent known only
        at run time or not a multiple of the tile).
        A multicast operand is loaded whole (its CTAs each issue a share of the box), and so
        is an MN-major one (its swizzle atoms are 8 columns of K, not 8 rows)."""
        if not spec.row_slabs:
            return ()
        rows, columns, _ = spec.mma_shape
        tile_m, tile_n, _ = spec.tile_shape
        cluster_m, cluster_n = spec.cluster_shape
        return tuple(
            operand for operand, extent, tile_rows, multicast, k_major in (
                ("a", rows, tile_m, cluster_n, True), ("b", columns, tile_n, cluster_m, spec.b_major == "k"))
            if multicast == 1 and k_major and (extent is None or extent % tile_rows != 0)
        )

    @property
    def KERNEL_PARAMS(self):  # noqa: N802 (the Collective interface's name)
        """The TMA atoms and tensors of A and B (whole tiles) and the tiled MMA, then, for each
        slab operand, the TMA atom and tensor of each of its slab heights."""
        slabs = tuple((f"tma_{kind}_{operand}_rows{rows}", annotation) for operand, rows in self.slab_loads
                      for kind, annotation in (("atom", "cute.CopyAtom"), ("tensor", "cute.Tensor")))
        return (*TmaMainloop.KERNEL_PARAMS, *slabs)

    def slab_sizes(self, operand: str) -> tuple[int, ...]:
        """The box heights of a slab operand's edge-tile loads, largest first: every power of
        two below its (power-of-two) tile rows, down to SLAB_ROWS."""
        tile_rows = self.tile_rows(operand)
        if tile_rows & (tile_rows - 1):
            raise AssertionError(f"row slabs need a power-of-two tile, got {tile_rows} rows")
        return tuple(tile_rows >> shift for shift in range(1, (tile_rows // SLAB_ROWS).bit_length()))

    @property
    def slab_loads(self) -> tuple[tuple[str, int], ...]:
        """(operand, box rows) of every slab atom, in KERNEL_PARAMS' order."""
        return tuple((operand, rows) for operand in self.slab_operands for rows in self.slab_sizes(operand))

    @staticmethod
    def evict_first_operands_of(spec) -> tuple[str, ...]:
        """The MMA operand that is the product's B under `b_evict_first` (A under swap_ab)."""
        if not spec.b_evict_first:
            return ()
        return ("a",) if spec.swap_ab else ("b",)

    # -- shared by host and device ----------------------------------------------------
    def tile_rows(self, operand: str) -> int:
        """Rows of `operand`'s tile: tile_m for A, tile_n for B (both (rows, K))."""
        return self.tile[0 if operand == "a" else 1]

    def element_bytes(self, operand: str) -> int:
        return dtype_bytes(self.a_dtype if operand == "a" else self.b_dtype)

    @property
    def b_layout(self) -> LayoutEnum:
        return LayoutEnum.ROW_MAJOR if self.b_major == "k" else LayoutEnum.COL_MAJOR

    def smem_layouts(self):
        """(A, B) staged shared-memory layouts: (tile, k, stage), swizzled for WGMMA."""
        a = sm90_utils.make_smem_layout_a(LayoutEnum.ROW_MAJOR, self.tile, self.a_type, self.stages)
        b = sm90_utils.make_smem_layout_b(self.b_layout, self.tile, self.b_type, self.stages)
        return a, b

    # -- host ---------------------------------------------------------------------------
    def kernel_params(self, mA: cute.Tensor, mB: cute.Tensor):
        a_layout, b_layout = self.smem_layouts()
        cluster_m, cluster_n = self.cluster
        tile_m, tile_n, tile_k = self.tile
        # A is multicast along the cluster's N extent, B along its M extent.
        tensors = {"a": (mA, a_layout), "b": (self.b_as_nk(mB), b_layout)}
        tma_atom_a, tma_tensor_a = self._tma_load(*tensors["a"], tile_m, tile_k, cluster_n)
        tma_atom_b, tma_tensor_b = self._tma_load(*tensors["b"], tile_n, tile_k, cluster_m)
        # the slab operands' edge-tile boxes (never multicast: slab_operands_of)
        slabs = [value for operand, rows in self.slab_loads
                 for value in self._tma_load(*tensors[operand], rows, tile_k, 1)]
        tiled_mma = sm90_utils.make_trivial_tiled_mma(
            self.a_type,
            self.b_type,
            LayoutEnum.ROW_MAJOR.sm90_mma_major_mode(),
            self.b_layout.sm90_mma_major_mode(),
            cutlass.Float32,
            # The MMA warpgroups split the tile along M; one warpgroup (pingpong) repeats its
            # 64-row atom down a 128-row tile.
            (self.consumer_warpgroups, 1, 1),
            tiler_mn=(64, tile_n),
        )
        return (tma_atom_a, tma_tensor_a, tma_atom_b, tma_tensor_b, tiled_mma, *slabs)

    @staticmethod
    def _tma_load(tensor, smem_layout_staged, rows: int, tile_k: int, multicast: int):
        """The TMA atom and tensor of an operand's loads of `rows` rows by a k-tile, laid out
        as in the whole tile (a box of fewer rows than the tile fills a slice of it)."""
        op = cpasync.CopyBulkTensorTileG2SOp() if multicast == 1 else cpasync.CopyBulkTensorTileG2SMulticastOp()
        smem_layout = cute.slice_(smem_layout_staged, (None, None, 0))
        if rows < cute.size(smem_layout, mode=[0]):
            smem_layout = cute.slice_(cute.zipped_divide(smem_layout, (rows, tile_k)), ((None, None), 0))
        return cpasync.make_tiled_tma_atom(op, tensor, smem_layout, (rows, tile_k), num_multicast=multicast)

    # -- device -------------------------------------------------------------------------
    def device(self, smem, tma_atom_a, tma_tensor_a, tma_atom_b, tma_tensor_b, tiled_mma, *slabs):
        return TmaWgmmaMainloopDevice(self, smem, tma_atom_a, tma_tensor_a, tma_atom_b, tma_tensor_b, tiled_mma,
                                      *slabs)


class TmaWgmmaMainloopDevice(TmaMainloopDevice):
    """The mainloop inside the kernel: its ring, partitions and accumulators, and one
    method per `pipe` op it lowers."""

    def __init__(self, config: TmaWgmmaMainloop, smem, tma_atom_a, tma_tensor_a, tma_atom_b,
                 tma_tensor_b, tiled_mma, *slabs):
        self.config = config
        self.tma_atom_a, self.tma_atom_b, self.tiled_mma = tma_atom_a, tma_atom_b, tiled_mma
        tile_m, tile_n, tile_k = config.tile
        cluster_m, cluster_n = config.cluster
        a_layout, b_layout = config.smem_layouts()

        barriers = smem.allocate_array(cutlass.Int64, config.stages * 2, byte_alignment=8)
        sA = smem.allocate_tensor(config.a_type, a_layout.outer, SMEM_ALIGNMENT, a_layout.inner)
        sB = smem.allocate_tensor(config.b_type, b_layout.outer, SMEM_ALIGNMENT, b_layout.inner)

        stage_bytes = cute.size_in_bytes(config.a_type, cute.slice_(a_layout, (None, None, 0))) + cute.size_in_bytes(
            config.b_type, cute.slice_(b_layout, (None, None, 0)))
        # Every consumer warp arrives once on the empty barrier of each CTA whose
        # multicast it received: its cluster row and column.
        consumer_arrivals = (cluster_m + cluster_n - 1) * config.consumer_warpgroups * 4
        self.ring = pipeline.PipelineTmaAsync.create(
            barrier_storage=barriers,
            num_stages=config.stages,
            producer_group=pipeline.CooperativeGroup(pipeline.Agent.Thread),
            consumer_group=pipeline.CooperativeGroup(pipeline.Agent.Thread, consumer_arrivals),
            tx_count=stage_bytes,
            cta_layout_vmnk=cute.make_layout((1, cluster_m, cluster_n, 1)),
            defer_sync=True,
        )

        # TMA partitions: this CTA's slice of each multicast load, for every (tile, k-tile).
        self.cluster_layout = cute.make_layout((cluster_m, cluster_n, 1))
        cluster_coord = self.cluster_layout.get_flat_coord(self.cluster_rank())
        self.tAsA, self.tAgA = self._partition("a", tma_atom_a, tma_tensor_a, sA, cluster_coord[1], cluster_n)
        self.tBsB, self.tBgB = self._partition("b", tma_atom_b, tma_tensor_b, sB, cluster_coord[0], cluster_m)
        # each slab operand's edge-tile boxes, largest first: (rows, atom, tensor and
        # shared-memory partitions)
        self.slab_boxes = {operand: [] for operand in config.slab_operands}
        for (operand, rows), atom, tensor in zip(config.slab_loads, slabs[0::2], slabs[1::2], strict=True):
            shared, loaded = self._partition_rows(atom, tensor, sA if operand == "a" else sB, rows)
            self.slab_boxes[operand].append((rows, atom, loaded, shared))
        # the rows of each operand's tensor, for the slab loads' bounds
        self.extents = {"a": cute.size(tma_tensor_a, mode=[0]), "b": cute.size(tma_tensor_b, mode=[0])}
        self.k = cutlass.Int32(config.k_static) if config.k_static is not None else cute.size(tma_tensor_a, mode=[1])
        self.k_tiles = cute.size(self.tAgA, mode=[2])  # RestK
        if config.split_k > 1:
            self.k_tiles = schedule.slice_k_tiles(self.k_tiles, config.split_k)
            self.k = cutlass.Int32(self.k_tiles * tile_k)
        self.sA, self.sB = sA, sB

    def _partition(self, operand: str, atom, tensor, smem, cta_coord, ctas):
        """This CTA's share of `operand`'s whole-tile loads: (TMA, stage) of the shared memory
        and (TMA, RestRows, RestK) of the tensor."""
        tile_k = self.config.tile[2]
        tile_rows = self.config.tile_rows(operand)
        return cpasync.tma_partition(
            atom, cta_coord, cute.make_layout(ctas), cute.group_modes(smem, 0, 2),
            cute.group_modes(cute.local_tile(tensor, (tile_rows, tile_k), (None, None)), 0, 2),
        )

    def _partition_rows(self, atom, tensor, smem, rows: int):
        """A slab atom's loads of `rows` rows: ((TMA, (box, 1, stage)) of the shared memory
        and (TMA, RestBoxes, RestK) of the tensor."""
        tile_k = self.config.tile[2]
        return cpasync.tma_partition(
            atom, 0, cute.make_layout(1), cute.zipped_divide(smem, (rows, tile_k)),
            cute.group_modes(cute.local_tile(tensor, (rows, tile_k), (None, None)), 0, 2),
        )

    # -- multicast -----------------------------------------------------------------------
    def mcast_mask(self, operand: str, rank):
        """The CTAs that receive `operand`'s load issued by the CTA of `rank`: its cluster
        row for A (same m), its cluster column for B (same n); 0 when not multicast."""
        cluster_m, cluster_n = self.config.cluster
        if (cluster_n if operand == "a" else cluster_m) == 1:
            return 0
        coord = self.cluster_layout.get_flat_coord(rank)
        return cute.make_layout_image_mask(self.cluster_layout, coord, mode=1 if operand == "a" else 0)

    # -- producer ------------------------------------------------------------------------
    def acquire(self, state):
        self.ring.producer_acquire(state)

    def copy(self, operand: str, tile, k_tile, state, mcast_mask, split=None):
        """TMA-load k-tile `k_tile` of `operand`'s tile row (A: m) or column (B: n), of K
        split `split`'s slice under split-K."""
        if split is not None:
            k_tile = split * self.k_tiles + k_tile
        atom, gmem, smem = (
            (self.tma_atom_a, self.tAgA, self.tAsA) if operand == "a" else (self.tma_atom_b, self.tBgB, self.tBsB)
        )
        if operand in self.config.slab_operands:
            self._copy_by_slabs(operand, atom, gmem, smem, tile, k_tile, state, mcast_mask)
        else:
            self._copy_whole(operand, atom, gmem, smem, tile, k_tile, state, mcast_mask)

    def _copy_whole(self, operand: str, atom, gmem, smem, tile, k_tile, state, mcast_mask):
        cute.copy(atom, gmem[(None, tile, k_tile)], smem[(None, state.index)],
                  tma_bar_ptr=self.ring.producer_get_barrier(state), mcast_mask=mcast_mask,
                  **self._cache_hint(operand))

    def _cache_hint(self, operand: str) -> dict:
        """The TMA copy's cache-policy argument for `operand`: evict-first, or none."""
        if operand in self.config.evict_first_operands:
            return {"cache_policy": cutlass.Int64(EVICT_FIRST_POLICY)}
        return {}

    @cute.jit
    def _copy_by_slabs(self, operand: cutlass.Constexpr, atom, gmem, smem, tile, k_tile, state, mcast_mask):
        """Load the k-tile of a tile inside the tensor whole; of the edge tile, its rows inside
        the tensor rounded up to whole slabs, in one box of each power of two of their count
        (largest first: the offsets stay multiples of the box), and report the other slabs'
        bytes to the stage's barrier, which expects the whole tile's."""
        tile_rows = self.config.tile_rows(operand)
        rows_left = self.extents[operand] - tile * tile_rows
        # A CTA of a cluster whose tile lies wholly past the end loads nothing (rows 0) but
        # still takes part in its cluster's multicasts.
        rows = cutlass.min(cutlass.max(cute.ceil_div(rows_left, SLAB_ROWS), 0) * SLAB_ROWS, tile_rows)
        if rows == tile_rows:
            self._copy_whole(operand, atom, gmem, smem, tile, k_tile, state, mcast_mask)
        else:
            barrier = self.ring.producer_get_barrier(state)
            for box_rows, box_atom, box_gmem, box_smem in self.slab_boxes[operand]:
                loads, box = slab_box(rows, box_rows)
                if loads:
                    cute.copy(box_atom, box_gmem[(None, tile * (tile_rows // box_rows) + box, k_tile)],
                              box_smem[(None, (box, 0, state.index))], tma_bar_ptr=barrier,
                              **self._cache_hint(operand))
            row_bytes = self.config.tile[2] * self.config.element_bytes(operand)
            with cute.arch.elect_one():
                mbarrier_complete_tx(barrier, (tile_rows - rows) * row_bytes)

    def prefetch_descriptors(self):
        """Bring every TMA descriptor into the cache before the first load: A's and B's, and
        the slab operands' edge-tile ones."""
        super().prefetch_descriptors()
        for boxes in self.slab_boxes.values():
            for _, atom, _, _ in boxes:
                cpasync.prefetch_descriptor(atom)

    def commit(self, state):
        self.ring.producer_commit(state)

    def producer_tail(self, state):
        self.ring.producer_tail(state)

    # -- consumer ------------------------------------------------------------------------
    def consumer_setup(self):
        """The MMA warpgroups' view of the stages and their accumulators (run by the
        consumer role before its first op)."""
        # Warp-uniform after the subtraction: ptxas then keeps this warpgroup's shared-
        # memory slice, and so the WGMMA descriptors, in uniform registers (f16 4096^3
        # serial consumer: a 58-instruction K loop with 3 register-to-uniform moves in the
        # kernel, against 85 and 18 when only the quotient was said to be uniform).
        warp_group = cute.arch.make_warp_uniform(cute.arch.thread_idx()[0] // THREADS_PER_WARPGROUP - 1)
        # its place among the warpgroups of its tile (pingpong: one a tile, so always 0)
        in_tile = warp_group % self.config.consumer_warpgroups
        thread_layout = cute.make_layout(self.config.consumer_warpgroups, stride=THREADS_PER_WARPGROUP)
        thr_mma = self.tiled_mma.get_slice(thread_layout(in_tile))
        self.tCrA = self.tiled_mma.make_fragment_A(thr_mma.partition_A(self.sA))
        self.tCrB = self.tiled_mma.make_fragment_B(thr_mma.partition_B(self.sB))
        tile_m, tile_n, _ = self.config.tile
        tile_c = cute.make_identity_tensor((tile_m, tile_n))
        self.accumulators = cute.make_rmem_tensor(thr_mma.partition_C(tile_c).shape, cutlass.Float32)

    def acc_init(self):
        """The accumulate flag of the tile's first mma: off, so its first WGMMAs overwrite
        the accumulators (CUTLASS's ScaleOut::Zero) instead of adding to registers zeroed
        first. Zeroing them put 64 register moves between the first WGMMAs, where ptxas
        injected a warpgroup.wait (serialising each tile's start) and moved the ring index
        and descriptors out of uniform registers. The verifier proves every k-tile of a work
        tile is multiplied once and K >= 1, so an mma always comes before the epilogue."""
        return cutlass.Boolean(False)

    def wait(self, state):
        self.ring.consumer_wait(state)

    def mma(self, state, accumulate):
        """Issue the WGMMAs of the k-tile in `state`'s stage as one batch (no wait); the
        first adds to the accumulators only if `accumulate`. Returns the flag of the next
        mma: on."""
        # A TiledMma of its own, made from the kernel argument's values: setting a field
        # redefines the atom, and a definition inside this mma's loop or branch must not
        # be what another mma (or the next tile) starts from.
        tiled_mma = cutlass.new_from_mlir_values(self.tiled_mma, cutlass.extract_mlir_values(self.tiled_mma))
        warpgroup.fence()
        for k_block in range(cute.size(self.tCrA, mode=[2])):  # unrolled while tracing
            tiled_mma.set(warpgroup.Field.ACCUMULATE, accumulate if k_block == 0 else True)
            coord = (None, None, k_block, state.index)
            cute.gemm(tiled_mma, self.accumulators, self.tCrA[coord], self.tCrB[coord], self.accumulators)
        warpgroup.commit_group()
        return cutlass.Boolean(True)

    def mma_wait(self, pending: int):
        warpgroup.wait_group(pending)

    def release(self, state):
        self.ring.consumer_release(state)
