"""sm_100a (Blackwell, B200): TMA loads, UMMA (tcgen05) into tensor memory.

pipeir has no sm_100a lowering yet: kernels for it build and verify, and the lowering
refuses them with a located error.
"""

from __future__ import annotations

from pipeir.target.base import Arch, GemmTarget


class Sm100Target(GemmTarget):
    """The accumulator lives in tensor memory, not registers, so a 256x256 tile is
    legal; one warpgroup issues the UMMAs and reads the accumulator back in the epilogue."""

    ARCH = Arch.SM_100A
    MMA_ENGINE = "umma"
    SMEM_CAPACITY = 232448  # 227 KiB per CTA
    OPERAND_DTYPES = ("f16", "bf16", "f8e4m3", "f8e5m2")
    OUTPUT_DTYPES = ("f16", "bf16")
    TILE_M = (128, 256)
    TILE_N = (64, 128, 256)
    TILE_RULE = "tile_m must be 128 or 256 (one UMMA, or a pair of CTAs), tile_n 64, 128 or 256"
    CONSUMER_WARPS = 4  # one warpgroup
    TUNER_TILES = {
        2: ((128, 256, 64), (256, 256, 64), (256, 128, 64)),
        1: ((128, 256, 128), (256, 256, 128), (256, 128, 128)),
    }


SM100 = Sm100Target()
