"""sm_100a (Blackwell, B200): TMA loads, UMMA (tcgen05) into tensor memory.

The lowering (pipeir/lower/cute/sm100/) is verified by compilation and static SASS on a
CPU machine only: no Blackwell GPU has run these kernels yet (docs/lowering.md says
what a first run must check).
"""

from __future__ import annotations

from pipeir.target.base import Arch, GemmTarget, dtype_bytes


class Sm100Target(GemmTarget):
    """A CTA's tile is 128 rows: the M of one UMMA (cta_group::1), or its half of a
    256-row UMMA that a pair of CTAs issues together (cta_group::2), which the kernel
    uses whenever cluster_m is even. The accumulator lives in tensor memory (two
    buffers of tile_n fp32 columns each, so the epilogue of one tile overlaps the
    MMAs of the next), not in registers, so tile_n may be 256.

    The consumer role's warps(4) are the epilogue warpgroup (tcgen05.ld reads the
    accumulator by lane quarters, one per warp of a warpgroup); its UMMAs are issued
    by one more warp (MMA_WARPS), which the lowering adds. The issuing thread never
    waits for a batch: tcgen05.commit arrives on the stage's empty barrier when the
    MMAs issued before it complete, so `pipe.release` itself orders the stage's reuse
    after its MMAs and the consumer keeps no batch in flight (MAX_MMA_IN_FLIGHT = 0)."""

    ARCH = Arch.SM_100A
    MMA_ENGINE = "umma"
    SMEM_CAPACITY = 232448  # 227 KiB per CTA
    OPERAND_DTYPES = ("f16", "bf16", "f8e4m3", "f8e5m2")
    OUTPUT_DTYPES = ("f16", "bf16", "f32")
    TILE_M = (128,)
    TILE_N = (64, 128, 256)
    TILE_RULE = (
        "tile_m is a CTA's 128 rows (a 256-row UMMA tile is tile_m 128 with an even cluster_m: "
        "the CTA pair issues it as cta_group::2), tile_n 64, 128 or 256"
    )
    CONSUMER_WARPS = 4  # the epilogue warpgroup
    MMA_WARPS = 1
    MAX_MMA_IN_FLIGHT = 0
    SWAP_AB = False  # the TMEM epilogue has no transposed store yet
    SPLIT_K = False  # the TMEM epilogue has no split-K reduction yet
    GATED_EPILOGUE = False  # the TMEM epilogue has no half-width (SwiGLU) store yet
    MMA_IN_FLIGHT_RULE = (
        " on sm_100a: the UMMA issuer never waits for a batch (tcgen05.commit in pipe.release frees a "
        "stage once its UMMAs are done)"
    )
    ACCUMULATOR_STAGES = 2
    """Tensor-memory accumulator buffers: 2 x tile_n <= 512 columns."""
    SM_COUNT = 148  # B200: one persistent CTA per SM
    TUNER_TILES = {
        2: ((128, 256, 64), (128, 128, 64), (128, 64, 64)),
        1: ((128, 256, 128), (128, 128, 128), (128, 64, 128)),
    }

    def two_cta(self, spec) -> bool:
        """Whether the CTA pairs of the cluster's M extent issue 2-CTA UMMAs."""
        return spec.cluster_shape[0] % 2 == 0

    def stage_bytes(self, spec) -> int:
        """A CTA's share of a stage: its tile_m rows of A, and all of B's tile_n rows,
        or half of them when the CTA pair's UMMA reads B from both CTAs."""
        tm, tn, tk = spec.tile_shape
        b_rows = tn // 2 if self.two_cta(spec) else tn
        return (tm + b_rows) * tk * dtype_bytes(spec.dtype)


SM100 = Sm100Target()
