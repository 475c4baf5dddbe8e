"""`GemmConfig`: the one configuration of a GEMM kernel, its legality, and its JSON form."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from pipeir.dialects import pipe

SMEM_BYTES = {"sm_90a": 232448, "sm_100a": 232448}
"""Shared memory one CTA may use (227 KiB on both H100 and B200)."""

EPILOGUE_RESERVE_BYTES = 32 * 1024
"""Shared memory kept back for the epilogue staging buffer and the barriers."""

CONSUMER_WARPS = 8
PRODUCER_WARPS = 1


class ConfigError(ValueError):
    """A GEMM configuration that pipeir cannot build, with the reason."""


def default_tile(dtype: str) -> tuple[int, int, int]:
    return (128, 256, 128) if pipe.DTYPE_BYTES[dtype] == 1 else (128, 256, 64)


def default_out_dtype(dtype: str) -> str:
    return "f16" if dtype == "f16" else "bf16"


@dataclass(frozen=True)
class GemmConfig:
    """C[M, N] = A[M, K] @ B[K, N]; None for a size known only at run time.

    `tile`, `stages`, `cluster` and `raster` left as None are free: `pipeir.compile`
    fills them from the autotuner (pipeir.tune), and the builder uses the defaults
    below (tile 128x256, the most stages that fit, cluster 1x1, raster along M).
    """

    m: int | None
    n: int | None
    k: int | None
    dtype: str = "bf16"
    out_dtype: str | None = None
    tile: tuple[int, int, int] | None = None
    stages: int | None = None
    cluster: tuple[int, int] | None = None
    raster: str | None = None
    arch: str = "sm_90a"
    b_major: str = "k"
    warp_specialize: bool = True
    name: str = "gemm"

    @property
    def tile_shape(self) -> tuple[int, int, int]:
        return self.tile or default_tile(self.dtype)

    @property
    def cluster_shape(self) -> tuple[int, int]:
        return tuple(self.cluster) if self.cluster is not None else (1, 1)

    @property
    def raster_order(self) -> str:
        return self.raster or "m"

    @property
    def c_dtype(self) -> str:
        return self.out_dtype or default_out_dtype(self.dtype)

    @property
    def stage_bytes(self) -> int:
        tm, tn, tk = self.tile_shape
        return tk * (tm + tn) * pipe.DTYPE_BYTES[self.dtype]

    @property
    def max_stages(self) -> int:
        budget = SMEM_BYTES[self.arch] - EPILOGUE_RESERVE_BYTES
        return min(pipe.MAX_STAGES, budget // self.stage_bytes)

    @property
    def stage_count(self) -> int:
        return self.stages if self.stages is not None else self.max_stages

    @property
    def problem(self) -> tuple[int, int, int]:
        return tuple(pipe.DYNAMIC if d is None else d for d in (self.m, self.n, self.k))

    def validate(self) -> None:
        if self.arch not in pipe.ARCHS:
            raise ConfigError(f"arch must be one of {', '.join(pipe.ARCHS)}, got '{self.arch}'")
        if self.dtype not in pipe.OPERAND_DTYPES:
            raise ConfigError(
                f"dtype must be one of {', '.join(pipe.OPERAND_DTYPES)}, got '{self.dtype}'"
            )
        if self.c_dtype not in pipe.OUTPUT_DTYPES:
            raise ConfigError(
                f"out dtype must be one of {', '.join(pipe.OUTPUT_DTYPES)}, got '{self.c_dtype}'"
            )
        for dim, size in zip("mnk", (self.m, self.n, self.k)):
            if size is not None and size <= 0:
                raise ConfigError(f"{dim} must be positive, got {size}")
        tm, tn, tk = self.tile_shape
        if tm not in (128, 256) or tn not in (64, 128, 256) or (tm, tn) == (256, 256):
            raise ConfigError(
                f"tile {tm}x{tn}x{tk}: tile_m must be 128 or 256 (two MMA warpgroups split M), "
                "tile_n 64, 128 or 256, and not 256x256 (too many accumulator registers)"
            )
        k_atom = 32 if pipe.DTYPE_BYTES[self.dtype] == 1 else 16
        if tk % k_atom or tk * pipe.DTYPE_BYTES[self.dtype] > 256:
            raise ConfigError(
                f"tile_k {tk}: must be a multiple of {k_atom} with at most 256 bytes per "
                f"row for {self.dtype}"
            )
        if self.cluster_shape not in pipe.CLUSTER_SHAPES:
            raise ConfigError(
                f"cluster {'x'.join(map(str, self.cluster_shape))} is not one of "
                + ", ".join(f"{m}x{n}" for m, n in pipe.CLUSTER_SHAPES)
            )
        if self.raster_order not in pipe.RASTER_ORDERS:
            raise ConfigError(f"raster must be 'm' or 'n', got '{self.raster_order}'")
        if self.b_major not in ("k", "mn"):
            raise ConfigError(f"b_major must be 'k' or 'mn', got '{self.b_major}'")
        if self.b_major == "mn" and pipe.DTYPE_BYTES[self.dtype] == 1:
            raise ConfigError("8-bit B must be K-major: WGMMA reads fp8 operands K-major only")
        if not 1 <= self.stage_count <= pipe.MAX_STAGES:
            raise ConfigError(f"stages must be in 1..{pipe.MAX_STAGES}, got {self.stage_count}")
        if self.stage_count > self.max_stages:
            raise ConfigError(
                f"{self.stage_count} stages of {self.stage_bytes} bytes do not fit the "
                f"{SMEM_BYTES[self.arch]}-byte shared memory of {self.arch} "
                f"({EPILOGUE_RESERVE_BYTES} reserved for the epilogue): at most "
                f"{self.max_stages}"
            )

    @property
    def static_full_k(self) -> bool:
        return self.k is not None and self.k % self.tile_shape[2] == 0


TUPLE_FIELDS = ("tile", "cluster")


def config_to_json(config: GemmConfig) -> dict:
    return dataclasses.asdict(config)


def config_from_json(fields: dict) -> GemmConfig:
    return GemmConfig(**{
        name: tuple(value) if name in TUPLE_FIELDS and value is not None else value
        for name, value in fields.items()
    })
