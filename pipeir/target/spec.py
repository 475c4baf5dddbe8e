"""`GemmConfig`: the one configuration of a GEMM kernel, and its JSON form.

What a configuration may be on a GPU (tiles, clusters, dtypes, the shared-memory
budget and the ring depth it allows) is not decided here but by the configuration's
target, `pipeir.target.target_for(config.arch)` (pipeir/target/sm90.py, sm100.py).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from pipeir.target import target_for
from pipeir.target.base import ConfigError, Raster, dtype_name, is_gated

__all__ = ["ConfigError", "GemmConfig", "config_from_json", "config_to_json"]


@dataclass(frozen=True)
class GemmConfig:
    """C[M, N] = A[M, K] @ B[K, N]; None for a size known only at run time.

    `tile`, `stages`, `cluster` and `raster` left as None are free: `pipeir.compile`
    fills them from the autotuner (pipeir.tune), and the builder uses the target's
    defaults (its default tile, the most stages that fit, cluster 1x1, raster M).
    `mma_in_flight` is how many MMA batches the consumer leaves running while it
    waits for the next stage: 1 releases each stage one k-tile late (CUTLASS's
    wait_group(1) consumer), 0 waits for every batch before releasing its stage.
    None leaves it to the target (GemmTarget.default_mma_in_flight: 1 for a warp-specialized
    kernel with a ring of 4+ stages on sm_90a, else 0).

    The epilogue (docs/epilogue.md): `scale` multiplies the product by A's and B's scales
    (`tensorwise`: one f32 each; `rowwise`: one per row of A, one per column of B), `bias`
    adds a per-column (N) vector of c_dtype, `activation` applies relu, gelu, gelu_tanh or
    silu, in that order; the kernel then takes scale_a, scale_b, bias after A, B and C.
    The activation `swiglu` gates instead (`gated`): column j of C is
    silu(x[:, 2j]) * x[:, 2j + 1] of the scaled and biased product x, so C is (M, N / 2)
    (the scales and the bias are the N-wide product's).

    `swap_ab` computes the transposed product, C^T[N, M] = B[N, K] @ A[M, K]^T, so that
    N fills the MMA's M dimension (the decode schedule: a few rows of A times a large
    weight B); the epilogue stores each transposed tile into the row-major C. `m`, `n`,
    `k` stay the product's; `tile`, `cluster` and `raster` are the MMA's, whose rows are
    then N and whose columns are M (`mma_shape`). B must be K-major.

    `split_k` S > 1 divides each output tile's K loop among S work units (the split-K
    schedule, pipeir.target.schedule): each multiplies a slice of ceil(k_tiles / S)
    k-tiles, writes its f32 partial tile to a workspace, and the unit that arrives last
    at the tile's ticket sums the S partials in split order (so the result does not
    depend on which one that is) and runs the epilogue once. None or 1: no split.

    `pingpong` (sm_90a, CUTLASS's KernelTmaWarpSpecializedPingpong) gives each of the two
    MMA warpgroups whole output tiles of its own, alternate tiles of the CTA's persistent
    sequence, instead of half of every tile (the cooperative schedule): the warpgroups take
    turns, one issuing its tile's MMAs while the other runs its epilogue, so the epilogue
    hides behind the tensor cores. A warpgroup's tile is then at most 128 rows and 128
    accumulator registers a thread (the target's rule). None is free: the tuner tries both
    schedules, and the builder builds the cooperative one.

    `row_slabs` (sm_90a) loads the edge tile of an operand whose rows may run past its
    tensor's end (M of a dynamic-M kernel, or any extent not a multiple of the tile) by
    its 8-row slabs inside the tensor (a tile inside loads whole), and skips the slabs
    that start past the end instead of having TMA fill them with zeros (docs/lowering.md,
    "Row slabs"). A decode kernel's
    token tile is mostly past M (a 64-token tile at M = 1: 63 rows of 64), and filling
    rows costs the TMA unit more than loading them. An operand its cluster multicasts loads
    whole. None is free: the decode, narrow and medium heuristics
    (pipeir.tune.heuristic_config) turn it on for their swapped pingpong tiles and the
    medium class's 128-row token tiles, and the builder builds without it; False keeps it
    off.

    `b_evict_first` (sm_90a) loads B's tiles with an L2 evict-first cache policy (CUTLASS's
    CacheHintSm90::EVICT_FIRST): B's lines are then the L2's first victims, so streaming
    weights that are read once (a decode GEMM's) does not evict what the L2 holds for
    others, such as lines still to be written back to DRAM or reused activations
    (docs/lowering.md, "L2 evict-first weights"). None is free: the heuristics of the
    decode, narrow and medium classes turn it on, the builder builds without it; False
    keeps it off.
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
    raster_group: int | None = None
    """Cluster tiles per band of the persistent walk (pipeir.target.schedule); None is 1:
    the walk covers whole columns (raster m) or rows (raster n)."""
    arch: str = "sm_90a"
    b_major: str = "k"
    warp_specialize: bool = True
    mma_in_flight: int | None = None
    swap_ab: bool = False
    split_k: int | None = None
    pingpong: bool | None = None
    row_slabs: bool | None = None
    b_evict_first: bool | None = None
    name: str = "gemm"
    scale: str | None = None
    bias: bool = False
    activation: str | None = None

    def __post_init__(self) -> None:
        # The dtype names users type ('fp16', 'half', 'fp8', ...) become the configuration's
        # own; an unknown name stays, for validate() to reject with the target's choices.
        for field in ("dtype", "out_dtype"):
            value = getattr(self, field)
            if isinstance(value, str):
                try:
                    object.__setattr__(self, field, dtype_name(value))
                except ConfigError:
                    pass

    @property
    def mma_shape(self) -> tuple[int | None, int | None, int | None]:
        """(rows, columns, K) of the product the MMA computes: (M, N, K), or (N, M, K)
        with swap_ab."""
        return (self.n, self.m, self.k) if self.swap_ab else (self.m, self.n, self.k)

    @property
    def tile_shape(self) -> tuple[int, int, int]:
        return self.tile or target_for(self.arch).default_tile(self.dtype, bool(self.pingpong))

    @property
    def cluster_shape(self) -> tuple[int, int]:
        return tuple(self.cluster) if self.cluster is not None else (1, 1)

    @property
    def raster_order(self) -> str:
        return self.raster or Raster.M

    @property
    def raster_group_size(self) -> int:
        return self.raster_group if self.raster_group is not None else 1

    @property
    def split_k_count(self) -> int:
        return self.split_k if self.split_k is not None else 1

    @property
    def c_dtype(self) -> str:
        """The output dtype: `out_dtype`, else f16 for f16 inputs and bf16 otherwise."""
        return self.out_dtype or ("f16" if self.dtype == "f16" else "bf16")

    @property
    def max_stages(self) -> int:
        return target_for(self.arch).max_stages(self)

    @property
    def stage_count(self) -> int:
        return self.stages if self.stages is not None else self.max_stages

    @property
    def mma_in_flight_count(self) -> int:
        if self.mma_in_flight is not None:
            return self.mma_in_flight
        return target_for(self.arch).default_mma_in_flight(self)

    @property
    def static_full_k(self) -> bool:
        return self.k is not None and self.k % self.tile_shape[2] == 0

    @property
    def has_epilogue(self) -> bool:
        """Whether the epilogue computes more than the accumulators' conversion."""
        return self.scale is not None or self.bias or self.activation is not None

    @property
    def gated(self) -> bool:
        """Whether the epilogue gates column pairs (SwiGLU): C has N / 2 columns."""
        return is_gated(self.activation)

    @property
    def mainloop(self) -> GemmConfig:
        """This configuration without its epilogue (what the tuner times)."""
        return dataclasses.replace(self, scale=None, bias=False, activation=None)

    def validate(self) -> None:
        """Raise ConfigError (one line) unless the target can build this configuration."""
        target_for(self.arch).check(self)


TUPLE_FIELDS = ("tile", "cluster")


def config_to_json(config: GemmConfig) -> dict:
    return dataclasses.asdict(config)


def config_from_json(fields: dict) -> GemmConfig:
    return GemmConfig(**{
        name: tuple(value) if name in TUPLE_FIELDS and value is not None else value
        for name, value in fields.items()
    })
