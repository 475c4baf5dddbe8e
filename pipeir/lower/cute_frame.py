"""Emit a readable CuTe DSL (Python) module for a warp-specialized, persistent
Hopper (sm_90a) GEMM whose K-loop bodies are supplied by the caller.

The frame follows CUTLASS's ``hopper/dense_gemm_persistent.py`` example
(nvidia-cutlass-dsl 4.8.1 API): TMA loads (multicast across the cluster),
a ``PipelineTmaAsync`` ring of ``stages`` A/B buffers, one producer warp that
issues TMA, two consumer warpgroups that run WGMMA (register reallocation with
``setmaxnreg``), a ``StaticPersistentTileScheduler`` over output tiles and a
TMA-store epilogue (TMA clips out-of-bounds rows/cols, so M/N edge tiles never
write out of bounds; TMA loads zero-fill, so a K tail is handled by loading
``ceil(K / TILE_K)`` tiles).

Computes ``C[M, N] = A[M, K] @ B^T`` where ``A`` is ``(M, K)`` row-major
(K-major) and ``B`` is either ``(N, K)`` row-major (``b_major="k"``) or
``(K, N)`` row-major (``b_major="n"``, MN-major; 16-bit types only).
``C`` is ``(M, N)`` row-major, fp16/bf16, accumulated in fp32.

Public API
==========

``HopperGemmConfig``            -- dataclass with every compile-time knob.
``emit_kernel_module(config, producer_body, consumer_body,
                     setup_producer=(), setup_consumer=()) -> str``
                                -- returns the module source text.
``write_kernel_source(source, cache_dir=None) -> pathlib.Path``
``load_kernel_module(source, cache_dir=None) -> module``
                                -- write to ``<cache>/<sha256>.py`` and import.

Body contract
=============

Each body / setup argument is a list of Python source lines (or one string).
They are written with **base indentation 0** (top-level statements start in
column 0; nested blocks use 4 spaces). The frame dedents them (so lines that
share any common indentation are accepted too) and re-indents them to the right
depth. Lines are inserted verbatim, so they must be valid CuTe DSL code
(``if``/``for`` on dynamic values become ``scf.if``/``scf.for``).

Names always in scope (both roles; module constants):
    ``TILE_M, TILE_N, TILE_K``    python ints
    ``STAGES``                    python int, depth of the A/B ring
    ``CLUSTER_M, CLUSTER_N``      python ints
    ``K_STATIC``                  python int (problem K) or ``None`` if dynamic
    ``K_TILES_STATIC``            python int ``ceil(K/TILE_K)`` or ``None``
    ``cutlass``, ``cute``, ``pipeline``, ``cpasync``, ``warpgroup`` modules
    ``a_mcast_mask_for(cta_rank_in_cluster)``
    ``b_mcast_mask_for(cta_rank_in_cluster)``
                                  multicast masks (Int16, or python 0 when the
                                  operand is not multicast) for a CTA rank
    ``mma_k_tile(tiled_mma, accumulators, tCrA, tCrB, stage)``
                                  synchronous WGMMA over one smem stage
                                  (fence; all k-blocks; commit; wait_group(0))
    ``mma_k_tile_issue(...)``     same signature, without the final wait
                                  (caller then uses ``warpgroup.wait_group(n)``)
Kernel locals in scope for both roles:
    ``K``                         problem K as a *runtime* ``cutlass.Int32``
                                  (an ``arith.constant`` when K is static, so
                                  guards like ``(k_tile + 1) * TILE_K <= K``
                                  stay runtime ops)
    ``k_tile_count``              ``ceil(K / TILE_K)`` as ``cutlass.Int32``
    ``ab_pipeline``               the ``PipelineTmaAsync``
    ``tile_coord_mnl``            this work tile's (m, n, l) tile coordinate
                                  (inside the tile loop only)

Producer (one warp; setup at 8 spaces, body at 12 spaces in the emitted file):
    setup_producer runs once, after ``producer_state`` is created and before
    the persistent tile loop; producer_body runs once per work tile.
    ``producer_state``  ``make_pipeline_state(PipelineUserType.Producer, STAGES)``
    ``tma_atom_a, tma_atom_b``
    ``tAgA``  (TMA, k_tile) gmem view of A for *this* tile: ``tAgA[(None, k)]``
    ``tAsA``  (TMA, stage)  smem ring for A:               ``tAsA[(None, s)]``
    ``tBgB``, ``tBsB``      same for B
    e.g. ``cute.copy(tma_atom_a, tAgA[(None, k_tile)],
    tAsA[(None, producer_state.index)],
    tma_bar_ptr=ab_pipeline.producer_get_barrier(producer_state),
    mcast_mask=a_mcast_mask)`` where ``a_mcast_mask`` is defined by the body or
    setup, e.g. ``a_mcast_mask = a_mcast_mask_for(cute.arch.make_warp_uniform(
    cute.arch.block_idx_in_cluster()))``.
    After the tile loop the frame calls ``ab_pipeline.producer_tail(producer_state)``.

Consumer (two warpgroups; setup at 8 spaces, body at 12 spaces):
    ``consumer_state``  ``make_pipeline_state(PipelineUserType.Consumer, STAGES)``
    ``accumulators``    fp32 register fragment, zeroed by the frame per tile
    ``tiled_mma``, ``tCrA``, ``tCrB`` (WGMMA smem descriptors, indexed
    ``[(None, None, k_block, stage)]``)
    Body should: ``ab_pipeline.consumer_wait(consumer_state)``;
    ``mma_k_tile(tiled_mma, accumulators, tCrA, tCrB, consumer_state.index)``;
    ``ab_pipeline.consumer_release(consumer_state)``; ``consumer_state.advance()``
    for each of the ``k_tile_count`` tiles.  After the body the frame runs
    ``warpgroup.wait_group(0)`` and the epilogue.

Emitted module entry points
===========================
    ``gemm_host(mA, mB, mC, stream)``  the ``@cute.jit`` host function
    ``make_fake_args()``               fake tensors/stream for ``cute.compile``
    ``compile_kernel(options="--enable-tvm-ffi", extra_options="")``
                                       ``cute.compile`` on fake args (works on
                                       a CPU-only machine with
                                       ``CUTE_DSL_ARCH=sm_90a``)
    ``run(a, b, c)``                   compile once (cached) and launch with
                                       torch CUDA tensors (tvm-ffi, current stream)
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.util
import math
import os
import pathlib
import sys
import textwrap
from typing import Iterable, Optional, Sequence, Union


__all__ = [
    "HopperGemmConfig",
    "emit_kernel_module",
    "max_stages",
    "PRODUCER_SETUP_INDENT",
    "PRODUCER_BODY_INDENT",
    "CONSUMER_SETUP_INDENT",
    "CONSUMER_BODY_INDENT",
]

# Indentation (in spaces) at which each user block lands in the emitted file.
PRODUCER_SETUP_INDENT = 8
PRODUCER_BODY_INDENT = 12
CONSUMER_SETUP_INDENT = 8
CONSUMER_BODY_INDENT = 12

SM90_SMEM_CAPACITY = 232448  # 227 KiB usable per CTA on sm_90
_MBAR_RESERVE_BYTES = 1024

# dtype name -> (cutlass type expression, bits)
_DTYPES = {
    "f16": ("cutlass.Float16", 16),
    "bf16": ("cutlass.BFloat16", 16),
    "e4m3": ("cutlass.Float8E4M3FN", 8),
    "e5m2": ("cutlass.Float8E5M2", 8),
}
_DTYPE_ALIASES = {
    "fp16": "f16", "float16": "f16", "half": "f16",
    "bfloat16": "bf16",
    "fp8_e4m3": "e4m3", "f8e4m3": "e4m3", "e4m3fn": "e4m3", "float8_e4m3fn": "e4m3",
    "fp8_e5m2": "e5m2", "f8e5m2": "e5m2", "float8_e5m2": "e5m2",
}


def _canon_dtype(name: str) -> str:
    key = name.lower()
    key = _DTYPE_ALIASES.get(key, key)
    if key not in _DTYPES:
        raise ValueError(f"unsupported dtype {name!r}")
    return key


@dataclasses.dataclass(frozen=True)
class HopperGemmConfig:
    """Compile-time configuration of the emitted GEMM.

    ``a_dtype``/``b_dtype``: "f16" | "bf16" | "e4m3" | "e5m2" (A and B must have
    the same width; 16-bit types must match).  ``c_dtype``: "f16" | "bf16".
    ``tile_k=None`` picks 64 for 16-bit and 128 for fp8 (4 WGMMA k-blocks).
    ``stages=None`` picks the largest ring that fits in 227 KiB smem.
    ``mnk``: static problem shape baked into the kernel, or ``None`` for
    dynamic shapes read from the tensors at run time.
    ``b_major``: "k" (B is (N, K) row-major) or "n" (B is (K, N) row-major).
    ``num_sms``: used for ``max_active_clusters`` (H100 SXM: 132).
    """

    a_dtype: str = "bf16"
    b_dtype: Optional[str] = None  # defaults to a_dtype
    c_dtype: str = "bf16"
    tile_m: int = 128
    tile_n: int = 256
    tile_k: Optional[int] = None
    cluster_m: int = 1
    cluster_n: int = 1
    stages: Optional[int] = None
    epi_stages: int = 4
    b_major: str = "k"
    mnk: Optional[tuple[int, int, int]] = None
    num_sms: int = 132
    swizzle_size: int = 1
    raster_along_m: bool = True
    producer_regs: int = 40
    consumer_regs: int = 232
    kernel_name: str = "pipeir_gemm"

    # ---- derived -----------------------------------------------------------
    @property
    def a(self) -> str:
        return _canon_dtype(self.a_dtype)

    @property
    def b(self) -> str:
        return _canon_dtype(self.b_dtype or self.a_dtype)

    @property
    def c(self) -> str:
        return _canon_dtype(self.c_dtype)

    @property
    def ab_bits(self) -> int:
        return _DTYPES[self.a][1]

    @property
    def tk(self) -> int:
        if self.tile_k is not None:
            return self.tile_k
        return 64 if self.ab_bits == 16 else 128

    @property
    def epi_tile(self) -> tuple[int, int]:
        # cooperative (2 consumer warpgroups split along M) epilogue tile
        return (min(128, self.tile_m), min(32, self.tile_n))

    @property
    def num_stages(self) -> int:
        return self.stages if self.stages is not None else max_stages(self)

    def validate(self) -> None:
        if self.tile_m not in (128, 256):
            raise ValueError("tile_m must be 128 or 256 (two consumer warpgroups split M)")
        if self.tile_n not in (64, 128, 256):
            raise ValueError("tile_n must be 64/128/256")
        if self.tile_m == 256 and self.tile_n == 256:
            raise ValueError("256x256 tile needs more accumulator registers than available")
        if (self.cluster_m, self.cluster_n) not in ((1, 1), (2, 1), (1, 2), (2, 2)):
            raise ValueError("cluster must be one of 1x1, 2x1, 1x2, 2x2")
        if _DTYPES[self.a][1] != _DTYPES[self.b][1]:
            raise ValueError("A and B must have the same width")
        if self.ab_bits == 16 and self.a != self.b:
            raise ValueError("16-bit A and B must have the same dtype")
        if self.ab_bits == 8 and self.b_major != "k":
            raise ValueError("fp8 requires K-major B")
        if self.b_major not in ("k", "n"):
            raise ValueError("b_major must be 'k' or 'n'")
        if self.c not in ("f16", "bf16"):
            raise ValueError("c_dtype must be f16 or bf16")
        inst_k = 16 if self.ab_bits == 16 else 32
        if self.tk % inst_k:
            raise ValueError(f"tile_k must be a multiple of {inst_k}")
        s = self.num_stages
        if s < 1:
            raise ValueError("no A/B stage fits in shared memory")
        if _smem_bytes(self, s) > SM90_SMEM_CAPACITY:
            raise ValueError(
                f"{s} stages need {_smem_bytes(self, s)} bytes of smem "
                f"(> {SM90_SMEM_CAPACITY}); max is {max_stages(self)}")
        if self.mnk is not None:
            m, n, k = self.mnk
            align_ab = 128 // self.ab_bits
            if k % align_ab or (self.b_major == "n" and n % align_ab) or n % 8:
                raise ValueError("contiguous dims must be 16-byte aligned")


def _smem_bytes(cfg: HopperGemmConfig, stages: int) -> int:
    ab = (cfg.tile_m + cfg.tile_n) * cfg.tk * cfg.ab_bits // 8
    epi = cfg.epi_tile[0] * cfg.epi_tile[1] * 2 * cfg.epi_stages
    return stages * ab + epi + _MBAR_RESERVE_BYTES


def max_stages(cfg: HopperGemmConfig) -> int:
    """Largest A/B ring depth that fits in sm_90 shared memory."""
    ab = (cfg.tile_m + cfg.tile_n) * cfg.tk * cfg.ab_bits // 8
    epi = cfg.epi_tile[0] * cfg.epi_tile[1] * 2 * cfg.epi_stages
    return (SM90_SMEM_CAPACITY - _MBAR_RESERVE_BYTES - epi) // ab


Lines = Union[str, Sequence[str]]


def _as_block(lines: Lines, indent: int) -> str:
    if isinstance(lines, str):
        text = lines
    else:
        text = "\n".join(lines)
    text = textwrap.dedent(text).strip("\n")
    if not text.strip():
        text = "pass"
    return textwrap.indent(text, " " * indent, lambda l: True) + "\n"


# =============================================================================
# Module template. Markers of the form `#@NAME@` on their own line are
# replaced; everything else is emitted verbatim.
# =============================================================================

_TEMPLATE = '''\
"""Generated by pipeir.lower.cute_frame -- do not edit.

Warp-specialized persistent Hopper GEMM:  C[M, N] = A[M, K] @ B^T
  A: (M, K) row-major (K-major)
  B: #@B_DESC@
  C: (M, N) row-major
Roles: warp 0 = TMA producer; warpgroups 1 and 2 = WGMMA consumers + epilogue.
"""

import math

import cuda.bindings.driver as cuda

import cutlass
import cutlass.cute as cute
import cutlass.pipeline as pipeline
import cutlass.utils as utils
import cutlass.utils.hopper_helpers as sm90_utils
from cutlass.tensor_utils import LayoutEnum
from cutlass.cute.nvgpu import cpasync, warpgroup
from cutlass.pipeline import (
    PipelineUserType,
    make_pipeline_state,
    pipeline_init_arrive,
    pipeline_init_wait,
)

# ---------------------------------------------------------------------------
# Configuration (baked in at generation time)
# ---------------------------------------------------------------------------
#@CONFIG@

NUM_MMA_WARPGROUPS = 2
THREADS_PER_WARPGROUP = 128
THREADS_PER_CTA = (1 + NUM_MMA_WARPGROUPS) * THREADS_PER_WARPGROUP
PRODUCER_WARP_IDX = 0                   # the one warp of warpgroup 0 that issues TMA
EPI_STORE_WARP_IDX = 4                  # first consumer warp issues the TMA stores
NUM_MMA_THREADS = NUM_MMA_WARPGROUPS * THREADS_PER_WARPGROUP
IS_A_MCAST = CLUSTER_N > 1              # A tile is shared by the CTAs of a cluster row
IS_B_MCAST = CLUSTER_M > 1              # B tile is shared by the CTAs of a cluster column
MAX_ACTIVE_CLUSTERS = NUM_SMS // (CLUSTER_M * CLUSTER_N)
SMEM_ALIGN = 1024


# ---------------------------------------------------------------------------
# Helpers usable from generated K-loop bodies
# ---------------------------------------------------------------------------
def a_mcast_mask_for(cta_rank_in_cluster):
    """Multicast mask for A: every CTA of this CTA's cluster row (same m)."""
    if not IS_A_MCAST:
        return 0
    cta_layout_mnk = cute.make_layout((CLUSTER_M, CLUSTER_N, 1))
    coord = cta_layout_mnk.get_flat_coord(cta_rank_in_cluster)
    return cute.make_layout_image_mask(cta_layout_mnk, coord, mode=1)


def b_mcast_mask_for(cta_rank_in_cluster):
    """Multicast mask for B: every CTA of this CTA's cluster column (same n)."""
    if not IS_B_MCAST:
        return 0
    cta_layout_mnk = cute.make_layout((CLUSTER_M, CLUSTER_N, 1))
    coord = cta_layout_mnk.get_flat_coord(cta_rank_in_cluster)
    return cute.make_layout_image_mask(cta_layout_mnk, coord, mode=0)


def mma_k_tile_issue(tiled_mma, accumulators, tCrA, tCrB, stage):
    """Issue the WGMMAs of one K tile held in smem stage `stage` and commit
    them as one group (no wait)."""
    warpgroup.fence()
    for k_block in range(cute.size(tCrA, mode=[2])):  # unrolled at trace time
        k_block_coord = (None, None, k_block, stage)
        cute.gemm(tiled_mma, accumulators, tCrA[k_block_coord], tCrB[k_block_coord], accumulators)
    warpgroup.commit_group()


def mma_k_tile(tiled_mma, accumulators, tCrA, tCrB, stage):
    """WGMMA over one K tile held in smem stage `stage`; returns once the
    WGMMAs completed, so the stage may be released right after."""
    mma_k_tile_issue(tiled_mma, accumulators, tCrA, tCrB, stage)
    warpgroup.wait_group(0)


# ---------------------------------------------------------------------------
# Device kernel
# ---------------------------------------------------------------------------
@cute.kernel
def gemm_kernel(
    tma_atom_a: cute.CopyAtom,
    mA_mk: cute.Tensor,
    tma_atom_b: cute.CopyAtom,
    mB_nk: cute.Tensor,
    tma_atom_c: cute.CopyAtom,
    mC_mn: cute.Tensor,
    tiled_mma: cute.TiledMma,
    a_smem_layout_staged: cute.ComposedLayout,
    b_smem_layout_staged: cute.ComposedLayout,
    epi_smem_layout_staged: cute.ComposedLayout,
    tile_sched_params: utils.PersistentTileSchedulerParams,
):
    tidx, _, _ = cute.arch.thread_idx()
    warp_idx = cute.arch.make_warp_uniform(cute.arch.warp_idx())
    warp_group_idx = cute.arch.make_warp_uniform(tidx // THREADS_PER_WARPGROUP)

    if warp_idx == PRODUCER_WARP_IDX:
        cpasync.prefetch_descriptor(tma_atom_a)
        cpasync.prefetch_descriptor(tma_atom_b)
        cpasync.prefetch_descriptor(tma_atom_c)

    # Position of this CTA inside its cluster (used for the TMA partitioning)
    block_rank_in_cluster = cute.arch.make_warp_uniform(cute.arch.block_idx_in_cluster())
    cta_layout_mnk = cute.make_layout((CLUSTER_M, CLUSTER_N, 1))
    cluster_coord_mnk = cta_layout_mnk.get_flat_coord(block_rank_in_cluster)

    # ---- shared memory ------------------------------------------------------
    smem = cutlass.memory.SmemAllocator()
    ab_barrier_ptr = smem.allocate_array(cutlass.Int64, STAGES * 2, byte_alignment=8)
    sA = smem.allocate_tensor(A_DTYPE, a_smem_layout_staged.outer, SMEM_ALIGN, a_smem_layout_staged.inner)
    sB = smem.allocate_tensor(B_DTYPE, b_smem_layout_staged.outer, SMEM_ALIGN, b_smem_layout_staged.inner)
    sC = smem.allocate_tensor(C_DTYPE, epi_smem_layout_staged.outer, SMEM_ALIGN, epi_smem_layout_staged.inner)

    # ---- A/B pipeline: full barriers (TMA tx count) + empty barriers --------
    a_smem_layout = cute.slice_(a_smem_layout_staged, (None, None, 0))
    b_smem_layout = cute.slice_(b_smem_layout_staged, (None, None, 0))
    tma_copy_bytes = cute.size_in_bytes(A_DTYPE, a_smem_layout) + cute.size_in_bytes(B_DTYPE, b_smem_layout)
    # each consumer warp arrives once on the empty barrier of every CTA it
    # received multicast data from
    mcast_size = CLUSTER_N + CLUSTER_M - 1
    consumer_arrive_cnt = mcast_size * NUM_MMA_WARPGROUPS * 4
    ab_pipeline = pipeline.PipelineTmaAsync.create(
        barrier_storage=ab_barrier_ptr,
        num_stages=STAGES,
        producer_group=pipeline.CooperativeGroup(pipeline.Agent.Thread),
        consumer_group=pipeline.CooperativeGroup(pipeline.Agent.Thread, consumer_arrive_cnt),
        tx_count=tma_copy_bytes,
        cta_layout_vmnk=cute.make_layout((1, CLUSTER_M, CLUSTER_N, 1)),
        defer_sync=True,
    )
    # fence mbarrier init and (for clusters) signal the other CTAs
    pipeline_init_arrive(cluster_shape_mn=(CLUSTER_M, CLUSTER_N), is_relaxed=True)

    # ---- global tiles and TMA partitions ------------------------------------
    gA_mk = cute.local_tile(mA_mk, (TILE_M, TILE_K), (None, None))   # (bM, bK, RestM, RestK)
    gB_nk = cute.local_tile(mB_nk, (TILE_N, TILE_K), (None, None))   # (bN, bK, RestN, RestK)
    gC_mn = cute.local_tile(mC_mn, (TILE_M, TILE_N), (None, None))   # (bM, bN, RestM, RestN)

    a_cta_layout = cute.make_layout(cute.slice_(cta_layout_mnk, (0, None, 0)).shape)
    tAsA_all, tAgA_all = cpasync.tma_partition(
        tma_atom_a, cluster_coord_mnk[1], a_cta_layout,
        cute.group_modes(sA, 0, 2), cute.group_modes(gA_mk, 0, 2),
    )  # tAsA_all: (TMA, stage); tAgA_all: (TMA, RestM, RestK)
    b_cta_layout = cute.make_layout(cute.slice_(cta_layout_mnk, (None, 0, 0)).shape)
    tBsB_all, tBgB_all = cpasync.tma_partition(
        tma_atom_b, cluster_coord_mnk[0], b_cta_layout,
        cute.group_modes(sB, 0, 2), cute.group_modes(gB_nk, 0, 2),
    )

    # ---- problem K as runtime values ----------------------------------------
#@K_SETUP@

    # ---- WGMMA partitions ---------------------------------------------------
    mma_wg_thread_layout = cute.make_layout(NUM_MMA_WARPGROUPS, stride=THREADS_PER_WARPGROUP)
    thr_mma = tiled_mma.get_slice(mma_wg_thread_layout(warp_group_idx - 1))
    tCsA = thr_mma.partition_A(sA)
    tCsB = thr_mma.partition_B(sB)
    tCrA = tiled_mma.make_fragment_A(tCsA)
    tCrB = tiled_mma.make_fragment_B(tCsB)
    tCgC = thr_mma.partition_C(gC_mn)
    accumulators = cute.make_rmem_tensor(tCgC.shape[:3], ACC_DTYPE)

    # wait until every CTA of the cluster initialised its barriers
    pipeline_init_wait(cluster_shape_mn=(CLUSTER_M, CLUSTER_N))

    is_producer_warpgroup = warp_group_idx == 0
    if is_producer_warpgroup:
        cute.arch.setmaxregister_decrease(PRODUCER_REGS)

    # =========================================================================
    # Producer: one warp issues the TMA loads
    # =========================================================================
    if warp_idx == PRODUCER_WARP_IDX:
        tile_sched = utils.StaticPersistentTileScheduler.create(
            tile_sched_params, cute.arch.block_idx(), cute.arch.grid_dim()
        )
        work_tile = tile_sched.initial_work_tile_info()
        producer_state = make_pipeline_state(PipelineUserType.Producer, STAGES)
        tAsA = tAsA_all
        tBsB = tBsB_all
        # ---- setup_producer (generated) ----
#@SETUP_PRODUCER@
        # ---- end setup_producer ----
        while work_tile.is_valid_tile:
            tile_coord_mnl = work_tile.tile_idx
            tAgA = tAgA_all[(None, tile_coord_mnl[0], None)]   # (TMA, k_tile)
            tBgB = tBgB_all[(None, tile_coord_mnl[1], None)]   # (TMA, k_tile)
            # ---- producer_body (generated) ----
#@PRODUCER_BODY@
            # ---- end producer_body ----
            tile_sched.advance_to_next_work()
            work_tile = tile_sched.get_current_work()
        # wait until the consumers released every stage before exiting
        ab_pipeline.producer_tail(producer_state)

    # =========================================================================
    # Consumers: two warpgroups run WGMMA and the epilogue
    # =========================================================================
    if not is_producer_warpgroup:
        cute.arch.setmaxregister_increase(CONSUMER_REGS)
        tile_sched = utils.StaticPersistentTileScheduler.create(
            tile_sched_params, cute.arch.block_idx(), cute.arch.grid_dim()
        )
        work_tile = tile_sched.initial_work_tile_info()
        consumer_state = make_pipeline_state(PipelineUserType.Consumer, STAGES)

        # epilogue: registers -> smem (stmatrix) -> gmem (TMA store)
        epilog_sync_barrier = pipeline.NamedBarrier(barrier_id=1, num_threads=NUM_MMA_THREADS)
        copy_atom_r2s = sm90_utils.get_smem_store_op(
            LayoutEnum.ROW_MAJOR, elem_ty_d=C_DTYPE, elem_ty_acc=ACC_DTYPE
        )
        copy_atom_C = cute.make_copy_atom(cute.nvgpu.warp.StMatrix8x8x16bOp(False, 4), C_DTYPE)
        tiled_copy_C_atom = cute.make_tiled_copy_C_atom(copy_atom_C, tiled_mma)
        tiled_copy_r2s = cute.make_tiled_copy_S(copy_atom_r2s, tiled_copy_C_atom)
        thr_copy_r2s = tiled_copy_r2s.get_slice(tidx - THREADS_PER_WARPGROUP)
        tRS_sD = thr_copy_r2s.partition_D(sC)              # (R2S, R2S_M, R2S_N, EPI_STAGE)
        tRS_rAcc = tiled_copy_r2s.retile(accumulators)
        rD_shape = cute.shape(thr_copy_r2s.partition_S(sC))
        tRS_rD = cute.make_rmem_tensor(rD_shape[:3], ACC_DTYPE)
        tRS_rD_out = cute.make_rmem_tensor(rD_shape[:3], C_DTYPE)
        size_tRS_rD = cute.size(tRS_rD)
        tma_store_pipeline = pipeline.PipelineTmaStore.create(
            num_stages=EPI_STAGES,
            producer_group=pipeline.CooperativeGroup(pipeline.Agent.Thread, NUM_MMA_THREADS),
        )
        # ---- setup_consumer (generated) ----
#@SETUP_CONSUMER@
        # ---- end setup_consumer ----
        while work_tile.is_valid_tile:
            tile_coord_mnl = work_tile.tile_idx
            accumulators.fill(0.0)
            tiled_mma.set(warpgroup.Field.ACCUMULATE, True)
            # ---- consumer_body (generated) ----
#@CONSUMER_BODY@
            # ---- end consumer_body ----
            warpgroup.wait_group(0)

            # ---- epilogue: TMA store clips the M/N edge tiles ----
            gC_tile = gC_mn[(None, None, tile_coord_mnl[0], tile_coord_mnl[1])]
            gC_epi = cute.zipped_divide(gC_tile, EPI_TILE)
            bSG_sD, bSG_gD = cpasync.tma_partition(
                tma_atom_c, 0, cute.make_layout(1), cute.group_modes(sC, 0, 2), gC_epi,
            )
            epi_tile_num = cute.size(gC_epi, mode=[1])
            epi_tile_shape = gC_epi.shape[1]
            epi_tile_layout = cute.make_layout(epi_tile_shape, stride=(epi_tile_shape[1], 1))
            num_prev_epi_tiles = tile_sched.num_tiles_executed * epi_tile_num
            for epi_idx in cutlass.range_constexpr(epi_tile_num):
                for epi_v in cutlass.range_constexpr(size_tRS_rD):
                    tRS_rD[epi_v] = tRS_rAcc[epi_idx * size_tRS_rD + epi_v]
                tRS_rD_out.store(tRS_rD.load().to(C_DTYPE))
                epi_buffer = (num_prev_epi_tiles + epi_idx) % EPI_STAGES
                cute.copy(tiled_copy_r2s, tRS_rD_out, tRS_sD[(None, None, None, epi_buffer)])
                # make the smem writes visible to the TMA (async proxy)
                cute.arch.fence_proxy("async.shared", space="cta")
                epilog_sync_barrier.arrive_and_wait()
                gmem_coord = epi_tile_layout.get_hier_coord(epi_idx)
                if warp_idx == EPI_STORE_WARP_IDX:
                    cute.copy(tma_atom_c, bSG_sD[(None, epi_buffer)], bSG_gD[(None, gmem_coord)])
                    tma_store_pipeline.producer_commit()
                    tma_store_pipeline.producer_acquire()
                epilog_sync_barrier.arrive_and_wait()

            tile_sched.advance_to_next_work()
            work_tile = tile_sched.get_current_work()
        tma_store_pipeline.producer_tail()


# ---------------------------------------------------------------------------
# Host side
# ---------------------------------------------------------------------------
def _tma_load_atom(tensor, smem_layout_staged, smem_tile, num_mcast):
    op = cpasync.CopyBulkTensorTileG2SOp() if num_mcast == 1 else cpasync.CopyBulkTensorTileG2SMulticastOp()
    smem_layout = cute.slice_(smem_layout_staged, (None, None, 0))
    return cpasync.make_tiled_tma_atom(op, tensor, smem_layout, smem_tile, num_multicast=num_mcast)


@cute.jit
def gemm_host(mA: cute.Tensor, mB: cute.Tensor, mC: cute.Tensor, stream: cuda.CUstream):
    """C = A @ B^T.  mA: (M, K) row-major; mB: #@B_DESC@; mC: (M, N) row-major."""
#@B_VIEW@
    a_layout = LayoutEnum.from_tensor(mA)
    b_layout = LayoutEnum.from_tensor(mB_nk)
    tile_mnk = (TILE_M, TILE_N, TILE_K)

    tiled_mma = sm90_utils.make_trivial_tiled_mma(
        A_DTYPE, B_DTYPE,
        a_layout.sm90_mma_major_mode(), b_layout.sm90_mma_major_mode(),
        ACC_DTYPE,
        (2, 1, 1),               # two consumer warpgroups split the tile along M
        tiler_mn=(64, TILE_N),
    )
    a_smem_layout_staged = sm90_utils.make_smem_layout_a(a_layout, tile_mnk, A_DTYPE, STAGES)
    b_smem_layout_staged = sm90_utils.make_smem_layout_b(b_layout, tile_mnk, B_DTYPE, STAGES)
    epi_smem_layout_staged = sm90_utils.make_smem_layout_epi(
        C_DTYPE, LayoutEnum.ROW_MAJOR, EPI_TILE, EPI_STAGES
    )

    tma_atom_a, tma_tensor_a = _tma_load_atom(mA, a_smem_layout_staged, (TILE_M, TILE_K), CLUSTER_N)
    tma_atom_b, tma_tensor_b = _tma_load_atom(mB_nk, b_smem_layout_staged, (TILE_N, TILE_K), CLUSTER_M)
    tma_atom_c, tma_tensor_c = cpasync.make_tiled_tma_atom(
        cpasync.CopyBulkTensorTileS2GOp(),
        mC,
        cute.slice_(epi_smem_layout_staged, (None, None, 0)),
        EPI_TILE,
    )

    gc = cute.zipped_divide(mC, tiler=(TILE_M, TILE_N))
    num_ctas_mn = gc[(0, (None, None))].shape
    tile_sched_params = utils.PersistentTileSchedulerParams(
        (num_ctas_mn[0], num_ctas_mn[1], 1), (CLUSTER_M, CLUSTER_N, 1), SWIZZLE_SIZE, RASTER_ALONG_M,
    )
    grid = utils.StaticPersistentTileScheduler.get_grid_shape(tile_sched_params, MAX_ACTIVE_CLUSTERS)

    gemm_kernel(
        tma_atom_a, tma_tensor_a,
        tma_atom_b, tma_tensor_b,
        tma_atom_c, tma_tensor_c,
        tiled_mma,
        a_smem_layout_staged, b_smem_layout_staged, epi_smem_layout_staged,
        tile_sched_params,
    ).launch(
        grid=grid,
        block=[THREADS_PER_CTA, 1, 1],
        cluster=(CLUSTER_M, CLUSTER_N, 1),
        min_blocks_per_mp=1,
        stream=stream,
    )


def make_fake_args():
    """Fake (shape-only) arguments for cute.compile; no GPU needed."""
    align = 16 * 8 // A_DTYPE.width   # elements per 16 bytes
    if STATIC_MNK is not None:
        M, N, K = STATIC_MNK
    else:
        M = cute.sym_int32(symbol="M")
        N = cute.sym_int32(divisibility=8, symbol="N")
        K = cute.sym_int32(divisibility=align, symbol="K")
    a = cute.runtime.make_fake_compact_tensor(A_DTYPE, (M, K), stride_order=(1, 0), assumed_align=16)
    b = cute.runtime.make_fake_compact_tensor(B_DTYPE, #@B_FAKE_SHAPE@, stride_order=(1, 0), assumed_align=16)
    c = cute.runtime.make_fake_compact_tensor(C_DTYPE, (M, N), stride_order=(1, 0), assumed_align=16)
    stream = cute.runtime.make_fake_stream(use_tvm_ffi_env_stream=True)
    return a, b, c, stream


def compile_kernel(options="--enable-tvm-ffi", extra_options=""):
    """Compile gemm_host for the fake arguments; returns the compiled callable
    (with tvm-ffi it is called as fn(a, b, c) on torch tensors, using the
    current torch stream)."""
    opts = " ".join(o for o in (options, extra_options) if o)
    return cute.compile(gemm_host, *make_fake_args(), options=opts)


_compiled = None


def run(a, b, c):
    """Launch on torch CUDA tensors a (M,K), b (#@B_TORCH@), c (M,N) (written)."""
    global _compiled
    if _compiled is None:
        _compiled = compile_kernel()
    _compiled(a, b, c)
    return c
'''


def _config_block(cfg: HopperGemmConfig, stages: int) -> str:
    k_static = cfg.mnk[2] if cfg.mnk is not None else None
    k_tiles = math.ceil(k_static / cfg.tk) if k_static is not None else None
    lines = [
        f"KERNEL_NAME = {cfg.kernel_name!r}",
        f"A_DTYPE = {_DTYPES[cfg.a][0]}",
        f"B_DTYPE = {_DTYPES[cfg.b][0]}",
        f"C_DTYPE = {_DTYPES[cfg.c][0]}",
        "ACC_DTYPE = cutlass.Float32",
        f"B_MAJOR = {cfg.b_major!r}",
        f"TILE_M, TILE_N, TILE_K = {cfg.tile_m}, {cfg.tile_n}, {cfg.tk}",
        f"CLUSTER_M, CLUSTER_N = {cfg.cluster_m}, {cfg.cluster_n}",
        f"STAGES = {stages}",
        f"EPI_TILE = {cfg.epi_tile}",
        f"EPI_STAGES = {cfg.epi_stages}",
        f"STATIC_MNK = {tuple(cfg.mnk) if cfg.mnk is not None else None}",
        f"K_STATIC = {k_static}",
        f"K_TILES_STATIC = {k_tiles}",
        f"NUM_SMS = {cfg.num_sms}",
        f"SWIZZLE_SIZE = {cfg.swizzle_size}",
        f"RASTER_ALONG_M = {cfg.raster_along_m}",
        f"PRODUCER_REGS = {cfg.producer_regs}",
        f"CONSUMER_REGS = {cfg.consumer_regs}",
    ]
    return "\n".join(lines)


def _k_setup(cfg: HopperGemmConfig) -> str:
    if cfg.mnk is not None:
        body = [
            "# static K: materialised as Int32 constants so guards stay runtime ops",
            "K = cutlass.Int32(K_STATIC)",
            "k_tile_count = cutlass.Int32(K_TILES_STATIC)",
        ]
    else:
        body = [
            "K = cute.size(mA_mk, mode=[1])",
            "k_tile_count = cute.size(gA_mk, mode=[3])   # ceil(K / TILE_K)",
        ]
    return textwrap.indent("\n".join(body), "    ")


def emit_kernel_module(
    config: HopperGemmConfig,
    producer_body: Lines,
    consumer_body: Lines,
    setup_producer: Lines = (),
    setup_consumer: Lines = (),
) -> str:
    """Return the source of a CuTe DSL module implementing the GEMM frame with
    the given K-loop bodies inserted (see the module docstring for the names in
    scope and the indentation contract: bodies use base indentation 0).
    """
    config.validate()
    stages = config.num_stages
    if config.b_major == "k":
        b_desc = "(N, K) row-major (K-major)"
        b_view = "    mB_nk = mB"
        b_fake = "(N, K)"
        b_torch = "N,K"
    else:
        b_desc = "(K, N) row-major (N-major)"
        b_view = ("    # view B as (N, K) with strides (1, N)\n"
                  "    mB_nk = cute.make_tensor(mB.iterator, cute.select(mB.layout, mode=[1, 0]))")
        b_fake = "(K, N)"
        b_torch = "K,N"

    src = _TEMPLATE
    replacements = {
        "#@CONFIG@": _config_block(config, stages),
        "#@K_SETUP@": _k_setup(config),
        "#@SETUP_PRODUCER@": _as_block(setup_producer, PRODUCER_SETUP_INDENT).rstrip("\n"),
        "#@PRODUCER_BODY@": _as_block(producer_body, PRODUCER_BODY_INDENT).rstrip("\n"),
        "#@SETUP_CONSUMER@": _as_block(setup_consumer, CONSUMER_SETUP_INDENT).rstrip("\n"),
        "#@CONSUMER_BODY@": _as_block(consumer_body, CONSUMER_BODY_INDENT).rstrip("\n"),
        "#@B_VIEW@": b_view,
        "#@B_DESC@": b_desc,
        "#@B_FAKE_SHAPE@": b_fake,
        "#@B_TORCH@": b_torch,
    }
    for marker, text in replacements.items():
        src = src.replace(marker, text)
    compile(src, f"<pipeir {config.kernel_name}>", "exec")  # syntax check
    return src
