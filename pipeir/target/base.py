"""What every target shares: the configuration's vocabulary (dtype names, enumerations,
`ConfigError`) and `GemmTarget`, the legality rules and shared-memory formula written
once over the per-architecture facts that each subclass (sm90.py, sm100.py) states.

A target method takes the configuration (`pipeir.target.spec.GemmConfig`, read for its
fields and derived shapes; not imported here, since the configuration asks its target
for its defaults).
"""

from __future__ import annotations

from enum import auto
from typing import ClassVar

from xdsl.dialects.builtin import (
    AnyFloat,
    BFloat16Type,
    Float8E4M3FNType,
    Float8E5M2Type,
    Float16Type,
    Float32Type,
)
from xdsl.utils.str_enum import StrEnum


class ConfigError(ValueError):
    """A GEMM configuration that pipeir cannot build, with the reason (one line)."""


ELEMENT_TYPES: dict[str, AnyFloat] = {
    "f16": Float16Type(),
    "bf16": BFloat16Type(),
    "f8e4m3": Float8E4M3FNType(),
    "f8e5m2": Float8E5M2Type(),
    "f32": Float32Type(),
}
"""The dtype names of a configuration and of every CLI, and the xDSL type each one is
in the `pipe` IR. Which of them an architecture accepts where (operands, output) is its
target's rule."""


DTYPE_ALIASES: dict[str, tuple[str, ...]] = {
    "f16": ("fp16", "float16", "half"),
    "bf16": ("bfloat16",),
    "f8e4m3": ("fp8", "e4m3", "f8", "fp8e4m3", "fp8_e4m3", "f8e4m3fn", "float8_e4m3fn"),
    "f8e5m2": ("e5m2", "fp8e5m2", "fp8_e5m2", "float8_e5m2"),
    "f32": ("fp32", "float32", "float"),
}
"""The other names users type for each dtype of ELEMENT_TYPES (case does not matter,
nor a leading 'torch.'): every command line and GemmConfig take them."""

_CANONICAL_DTYPE = {
    name: canonical for canonical, aliases in DTYPE_ALIASES.items() for name in (canonical, *aliases)
}


def dtype_name(text: str) -> str:
    """The configuration's name (a key of ELEMENT_TYPES) of a dtype as a user writes it:
    'fp16', 'half', 'torch.bfloat16', 'fp8', 'e4m3', ...; ConfigError naming the choices."""
    canonical = _CANONICAL_DTYPE.get(text.lower().removeprefix("torch."))
    if canonical is None:
        choices = "; ".join(f"{name} ({', '.join(aliases)})" for name, aliases in DTYPE_ALIASES.items())
        raise ConfigError(f"unknown dtype '{text}': expected one of {choices}")
    return canonical


def dtype_bytes(dtype: str) -> int:
    return ELEMENT_TYPES[dtype].bitwidth // 8


class Arch(StrEnum):
    """The GPU architectures pipeir has a target for (pipeir.target.target_for)."""

    SM_90A = "sm_90a"
    SM_100A = "sm_100a"


class Major(StrEnum):
    """An operand's contiguous dimension: K, or its M (for A) / N (for B) extent."""

    K = auto()
    MN = auto()


class Raster(StrEnum):
    """Order in which the persistent scheduler walks output tiles: down a column of
    tiles first (`m`: consecutive tiles share B) or along a row (`n`: they share A)."""

    M = auto()
    N = auto()


class Scale(StrEnum):
    """The scales of A and B a scaled GEMM applies in its epilogue (torch._scaled_mm's):
    one f32 each (`tensorwise`), or one per row of A and one per column of B (`rowwise`)."""

    TENSORWISE = auto()
    ROWWISE = auto()


class Activation(StrEnum):
    """Element-wise activations an epilogue applies (formulas in pipeir.analysis.interp)."""

    RELU = auto()
    GELU = auto()
    """x (1 + erf(x / sqrt 2)) / 2"""
    GELU_TANH = auto()
    """x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))) / 2"""
    SILU = auto()
    """x / (1 + exp(-x))"""


class GatedActivation(StrEnum):
    """Activations that gate one column of each pair of the product with the other: the
    output has half the product's columns (formula in pipeir.analysis.interp)."""

    SWIGLU = auto()
    """column j: silu(x[:, 2j]) * x[:, 2j + 1]"""


EPILOGUE_ACTIVATIONS = (*Activation, *GatedActivation)
"""The activations a configuration's epilogue may apply."""


def is_gated(activation: str | None) -> bool:
    """Whether `activation` gates column pairs (GatedActivation): the output has half the
    product's columns."""
    return activation in tuple(GatedActivation)


def _shapes(shapes) -> str:
    return ", ".join("x".join(map(str, shape)) for shape in shapes)


class GemmTarget:
    """The GEMM kernels one architecture can build, and their shared-memory budget.

    Shared memory of a CTA, as the lowering allocates it (`smem_bytes`):
      stages x stage_bytes                        the A/B ring: (tile_m + tile_n) x tile_k
                                                  x dtype bytes per stage;
      + epilogue_stages x epilogue tile x c bytes the epilogue's staging buffers, one
                                                  epilogue tile (`epilogue_tile`) each;
      + SMEM_RESERVE                              the ring's barriers and the 1024-byte
                                                  alignment of the three buffers;
    which must fit SMEM_CAPACITY: that bounds the ring depth (`max_stages`).
    """

    ARCH: ClassVar[Arch]
    MMA_ENGINE: ClassVar[str]
    """The MMA instruction family the consumer issues."""
    SMEM_CAPACITY: ClassVar[int]
    """Bytes of shared memory one CTA may use."""
    SMEM_RESERVE: ClassVar[int] = 1024
    MAX_STAGES: ClassVar[int] = 12
    """Deepest ring: past it the stages' barriers and phases cost more than they hide."""
    EPILOGUE_STAGES: ClassVar[int] = 4
    """Staging buffers of a 16-bit output. A 4-byte (f32) output stages as many bytes in half
    as many buffers: the stores in flight move the same bytes, and the A/B ring keeps the
    depth it has with a 16-bit output (4 f32 buffers would cost fp8 128x256x128 a stage)."""
    EPILOGUE_TILE: ClassVar[tuple[int, int]] = (128, 32)
    """The largest piece of the output tile the epilogue stages through shared memory."""
    OPERAND_DTYPES: ClassVar[tuple[str, ...]]
    OUTPUT_DTYPES: ClassVar[tuple[str, ...]]
    TILE_M: ClassVar[tuple[int, ...]]
    TILE_N: ClassVar[tuple[int, ...]]
    EXCLUDED_TILES: ClassVar[tuple[tuple[int, int], ...]] = ()
    TILE_RULE: ClassVar[str]
    """Why the legal tiles are what they are (said when a tile is refused)."""
    MMA_K_BYTES: ClassVar[int] = 32
    """Bytes of K one MMA instruction consumes: its K atom is 16 for 16-bit, 32 for 8-bit."""
    MAX_TILE_K_BYTES: ClassVar[int] = 256
    """Bytes of one tile row (the widest TMA box and shared-memory swizzle row)."""
    CLUSTER_SHAPES: ClassVar[tuple[tuple[int, int], ...]] = ((1, 1), (2, 1), (1, 2), (2, 2))
    MN_MAJOR_DTYPES: ClassVar[tuple[str, ...]] = ("f16", "bf16")
    """Operand dtypes the MMA can read MN-major (8-bit operands are K-major only)."""
    PRODUCER_WARPS: ClassVar[int] = 1
    CONSUMER_WARPS: ClassVar[int]
    MAX_MMA_IN_FLIGHT: ClassVar[int] = 1
    SWAP_AB: ClassVar[bool] = True
    """Whether the backend builds swap_ab kernels (C^T = B @ A^T, stored transposed)."""
    GATED_EPILOGUE: ClassVar[bool] = True
    """Whether the backend stores a gated epilogue's half-width output (SwiGLU)."""
    SPLIT_K: ClassVar[bool] = True
    """Whether the backend builds split-K kernels (a K slice per work unit, reduced
    deterministically: pipeir.target.schedule)."""
    MAX_SPLIT_K: ClassVar[int] = 16
    """Most K slices per output tile: each slice's partial tile is a workspace round trip."""
    SPLIT_K_SMEM: ClassVar[int] = 16
    """Shared memory a split-K kernel adds: the slot that tells every consumer thread
    whether its CTA arrived last at the tile's ticket."""
    ROW_SLABS: ClassVar[bool] = False
    """Whether the backend loads operands by 8-row slabs that skip the rows past the end
    (GemmConfig.row_slabs)."""
    B_EVICT_FIRST: ClassVar[bool] = False
    """Whether the backend loads B with an L2 evict-first policy (GemmConfig.b_evict_first)."""
    PINGPONG: ClassVar[bool] = False
    """Whether the backend builds the pingpong schedule (each MMA warpgroup its own tiles,
    taking turns through an order barrier: GemmConfig.pingpong)."""
    PINGPONG_TILE_M: ClassVar[tuple[int, ...]] = ()
    """tile_m of a pingpong kernel: the rows one MMA warpgroup covers on its own."""
    MAX_ACCUMULATOR_REGISTERS: ClassVar[int] = 128
    """Most f32 accumulator registers a consumer thread holds (a pingpong warpgroup's whole
    tile: beyond it, with the epilogue's registers, CONSUMER_REGISTERS would spill)."""
    PINGPONG_TUNER_TILES: ClassVar[dict[int, tuple[tuple[int, int, int], ...]]] = {}
    """Tiles the autotuner tries with the pingpong schedule, by operand bytes; the first is
    a pingpong kernel's default tile."""
    MMA_IN_FLIGHT_RULE: ClassVar[str] = ""
    """Why MAX_MMA_IN_FLIGHT is what it is, when that needs saying (appended to the error)."""
    MAX_RASTER_GROUP: ClassVar[int] = 64
    """Widest band of the persistent walk, in cluster tiles (wider ones walk the same
    order as no band on any problem of fewer than 64 cluster tiles across)."""
    OVERLAP_MIN_STAGES: ClassVar[int] = 4
    """The least ring depth at which the consumer keeps an MMA batch in flight by default.
    The batch in flight holds a stage, so with 3 stages the producer runs only one stage
    ahead: on the H200 the overlapped consumer lost 2% to the serial one on a 3-stage bf16
    16384x1024x4096 kernel and gained nothing measurable at 4 stages
    (bench/RESULTS.md, issue 12)."""
    MAX_PROBLEM_SIZE: ClassVar[int] = 2**31 - 1
    """Largest M, N or K: the kernel computes coordinates and strides in int32."""
    TUNER_TILES: ClassVar[dict[int, tuple[tuple[int, int, int], ...]]]
    """Tiles the autotuner tries, by operand bytes; the first is the default tile."""
    EPILOGUE_PREFETCH: ClassVar[bool] = False
    """Whether the backend's epilogue can read its operands' first values before the
    tile's K loop (`pipe.epilogue ... prefetch`)."""
    CONSUMER_REGISTERS: ClassVar[int | None] = None
    """Registers per consumer thread when they hold the accumulators (None: they do not)."""
    EPILOGUE_WORKING_REGISTERS: ClassVar[int] = 72
    """Registers a consumer thread needs in the epilogue besides the accumulators and the
    operand values it holds for a whole tile: a subtile's operand values and
    temporaries, addresses, the store pipeline. Measured on sm_90a (CPU-compiled SASS, 128
    accumulator registers): holding 66 registers of operands at fp8 128x256 spills 30
    sites; holding 36 at 256x128 spills 74 with the serial consumer; 2 or 4 spill none."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.ARCH}>"

    def default_tile(self, dtype: str, pingpong: bool = False) -> tuple[int, int, int]:
        return self.candidate_tiles(dtype, pingpong)[0]

    def candidate_tiles(self, dtype: str, pingpong: bool = False) -> tuple[tuple[int, int, int], ...]:
        return (self.PINGPONG_TUNER_TILES if pingpong and self.PINGPONG else self.TUNER_TILES)[dtype_bytes(dtype)]

    def tile_warpgroups(self, spec) -> int:
        """Consumer warpgroups that share one output tile: all of them (cooperative), or one
        under pingpong, where each warpgroup has tiles of its own."""
        return 1 if spec.pingpong else self.CONSUMER_WARPS // 4

    def role_warps(self, kind: str) -> int:
        """Warps of a role: the TMA producer, or the MMA consumer (also the warps of a
        `mainloop` role, which produces and consumes in the same warps)."""
        return self.PRODUCER_WARPS if kind == "producer" else self.CONSUMER_WARPS

    def mma_k_atom(self, dtype: str) -> int:
        return self.MMA_K_BYTES // dtype_bytes(dtype)

    def stage_bytes(self, spec) -> int:
        tm, tn, tk = spec.tile_shape
        return (tm + tn) * tk * dtype_bytes(spec.dtype)

    def epilogue_tile(self, spec) -> tuple[int, int]:
        tm, tn, _ = spec.tile_shape
        return min(self.EPILOGUE_TILE[0], tm), min(self.EPILOGUE_TILE[1], tn)

    def epilogue_stages(self, spec) -> int:
        """Staging buffers of the epilogue: EPILOGUE_STAGES (half of them for an f32 output),
        or fewer when a tile has fewer subtiles. The count must divide a tile's subtiles
        (powers of two both), so that consecutive tiles rotate through the buffers without
        a break."""
        em, en = self.epilogue_tile(spec)
        tm, tn, _ = spec.tile_shape
        buffers = self.EPILOGUE_STAGES * 2 // dtype_bytes(spec.c_dtype)
        return min(buffers, (tm // em) * (tn // en))

    def epilogue_bytes(self, spec) -> int:
        """The staging buffers, one epilogue tile each. A gated epilogue (SwiGLU) stages half
        of it, but a kernel's IR does not say what its epilogue computes (its `spec` has no
        activation), so the budget of every kernel counts the whole tile: the builder and
        the IR verifier agree on the ring depth."""
        em, en = self.epilogue_tile(spec)
        return em * en * dtype_bytes(spec.c_dtype) * self.epilogue_stages(spec)

    def default_mma_in_flight(self, spec) -> int:
        """GemmConfig.mma_in_flight when left as None."""
        overlap = spec.warp_specialize and spec.stage_count >= self.OVERLAP_MIN_STAGES
        return min(1, self.MAX_MMA_IN_FLIGHT) if overlap else 0

    def held_operand_registers(self, spec, broadcast: str) -> int | None:
        """Registers one consumer thread needs to hold an epilogue operand (a `scalar`, `m`
        or `n` vector) for a whole output tile; None where the target has no model."""
        return None

    def epilogue_register_budget(self, spec) -> int | None:
        """Registers left per consumer thread for operands held for a whole tile (None: no
        model, the epilogue's loads stay per subtile)."""
        if self.CONSUMER_REGISTERS is None:
            return None
        tm, tn, _ = spec.tile_shape
        accumulators = tm * tn // (self.tile_warpgroups(spec) * 128)
        return self.CONSUMER_REGISTERS - accumulators - self.EPILOGUE_WORKING_REGISTERS

    def max_stages(self, spec) -> int:
        """The deepest ring that fits shared memory beside the epilogue and the reserve."""
        budget = self.SMEM_CAPACITY - self.SMEM_RESERVE - self.epilogue_bytes(spec) - self.split_k_bytes(spec)
        return min(self.MAX_STAGES, budget // self.stage_bytes(spec))

    def split_k_bytes(self, spec) -> int:
        return self.SPLIT_K_SMEM if spec.split_k_count > 1 else 0

    def smem_bytes(self, spec) -> int:
        return (
            spec.stage_count * self.stage_bytes(spec) + self.epilogue_bytes(spec) + self.split_k_bytes(spec)
            + self.SMEM_RESERVE
        )

    def check(self, spec) -> None:
        """Raise ConfigError with a one-line reason unless this target can build `spec`."""
        self.check_dtypes(spec.dtype, spec.dtype, spec.c_dtype)
        for dim, size in zip("mnk", (spec.m, spec.n, spec.k)):
            if size is not None and not 0 < size <= self.MAX_PROBLEM_SIZE:
                raise ConfigError(f"{dim} must be in 1..{self.MAX_PROBLEM_SIZE} (int32 coordinates), got {size}")
        self.check_pingpong(spec)
        self.check_tile(spec.tile_shape, spec.dtype, bool(spec.pingpong))
        if spec.cluster_shape not in self.CLUSTER_SHAPES:
            raise ConfigError(
                f"cluster {'x'.join(map(str, spec.cluster_shape))} is not one of "
                f"{_shapes(self.CLUSTER_SHAPES)} on {self.ARCH}"
            )
        if spec.raster_order not in tuple(Raster):
            raise ConfigError(f"raster must be 'm' or 'n', got '{spec.raster_order}'")
        group = spec.raster_group_size
        if isinstance(group, bool) or not isinstance(group, int) or not 1 <= group <= self.MAX_RASTER_GROUP:
            raise ConfigError(f"raster_group must be an integer in 1..{self.MAX_RASTER_GROUP}, got {group!r}")
        self.check_majors(Major.K, spec.b_major, spec.dtype)  # a configuration's A is K-major
        if spec.swap_ab and not self.SWAP_AB:
            raise ConfigError(f"swap_ab is not built for {self.ARCH}: its epilogue has no transposed store")
        if spec.swap_ab and spec.b_major != Major.K:
            raise ConfigError("swap_ab needs a K-major B: B becomes the MMA's A, which is read K-major")
        self.check_split_k(spec)
        self.check_row_slabs(spec)
        self.check_b_evict_first(spec)
        self.check_stages(spec)
        self.check_epilogue(spec)

    @staticmethod
    def free_flag(spec, field: str) -> bool:
        """`spec`'s True/False/None (free) `field`, whether it is set; any other value is
        refused in one line."""
        value = getattr(spec, field)
        if value is not None and not isinstance(value, bool):
            raise ConfigError(f"{field} must be True, False or None (free), got {value!r}")
        return bool(value)

    def check_row_slabs(self, spec) -> None:
        if self.free_flag(spec, "row_slabs") and not self.ROW_SLABS:
            raise ConfigError(f"row_slabs is not built for {self.ARCH}")

    def check_b_evict_first(self, spec) -> None:
        if self.free_flag(spec, "b_evict_first") and not self.B_EVICT_FIRST:
            raise ConfigError(f"b_evict_first is not built for {self.ARCH}")

    def check_split_k(self, spec) -> None:
        splits = spec.split_k_count
        if isinstance(splits, bool) or not isinstance(splits, int) or not 1 <= splits <= self.MAX_SPLIT_K:
            raise ConfigError(f"split_k must be an integer in 1..{self.MAX_SPLIT_K}, got {splits!r}")
        if splits == 1:
            return
        if not self.SPLIT_K:
            raise ConfigError(f"split_k is not built for {self.ARCH}: its epilogue has no split-K reduction")
        if not spec.warp_specialize:
            raise ConfigError("split_k needs warp specialization (the shared-warps mainloop role is not lowered)")
        k_tiles = None if spec.k is None else -(-spec.k // spec.tile_shape[2])
        if k_tiles is not None and splits > k_tiles:
            raise ConfigError(f"split_k {splits} exceeds the {k_tiles} k-tile(s) of K = {spec.k}: some slices would be empty")

    def check_pingpong(self, spec) -> None:
        if not self.free_flag(spec, "pingpong"):
            return
        if not self.PINGPONG:
            raise ConfigError(f"pingpong is not built for {self.ARCH}: its consumer warpgroups share every tile")
        if not spec.warp_specialize:
            raise ConfigError("pingpong needs warp specialization (the MMA warpgroups take turns beside a TMA warp)")
        if spec.split_k_count > 1:
            raise ConfigError("pingpong is not built with split_k: its reduction expects both warpgroups on a tile")

    def check_epilogue(self, spec) -> None:
        if spec.scale is not None and spec.scale not in tuple(Scale):
            raise ConfigError(f"scale must be one of {', '.join(Scale)}, got '{spec.scale}'")
        if spec.activation is not None and spec.activation not in EPILOGUE_ACTIVATIONS:
            raise ConfigError(f"activation must be one of {', '.join(EPILOGUE_ACTIVATIONS)}, got '{spec.activation}'")
        if spec.gated:
            self.check_gated(spec)
        if not isinstance(spec.bias, bool):
            raise ConfigError(f"bias must be True or False, got {spec.bias!r}")

    def builds_swap_ab(self, spec) -> bool:
        """Whether `spec` may run swapped (`check` refuses swap_ab otherwise): the backend has
        the transposed store, B is K-major and the epilogue does not gate column pairs."""
        return self.SWAP_AB and spec.b_major == Major.K and not spec.gated

    def check_gated(self, spec) -> None:
        """A gated epilogue (SwiGLU) pairs the product's columns 2j and 2j + 1, which a thread
        holds together in the accumulator layout of an MMA tile's columns."""
        name = spec.activation
        if not self.GATED_EPILOGUE:
            raise ConfigError(f"{name} is not built for {self.ARCH}: its epilogue has no half-width (gated) store")
        if spec.swap_ab:
            raise ConfigError(
                f"{name} is not built with swap_ab: the product's column pairs are then the MMA's rows, "
                "which no thread holds together")
        if spec.split_k_count > 1:
            # the split-K schedule and workspace count the tiles of the half-width output:
            # half the product went unwritten on the H200
            raise ConfigError(f"{name} is not built with split_k: its reduction counts the tiles of the output")
        if spec.n is not None and spec.n % 2:
            raise ConfigError(f"{name} pairs the product's columns, so N must be even, got {spec.n}")

    def check_dtypes(self, a_dtype: str, b_dtype: str, c_dtype: str) -> None:
        for what, dtype, legal in (
            ("dtype", a_dtype, self.OPERAND_DTYPES),
            ("dtype", b_dtype, self.OPERAND_DTYPES),
            ("out dtype", c_dtype, self.OUTPUT_DTYPES),
        ):
            if dtype not in legal:
                raise ConfigError(f"{what} must be one of {', '.join(legal)} on {self.ARCH}, got '{dtype}'")
        if a_dtype != b_dtype:
            raise ConfigError(f"A and B must have one dtype on {self.ARCH}, got {a_dtype} and {b_dtype}")

    def check_tile(self, tile: tuple[int, int, int], dtype: str, pingpong: bool = False) -> None:
        tm, tn, tk = tile
        if pingpong and self.PINGPONG:
            # One warpgroup covers the whole tile: its rows, and all its accumulators.
            accumulators = tm * tn // 128
            if tm not in self.PINGPONG_TILE_M or tn not in self.TILE_N or accumulators > self.MAX_ACCUMULATOR_REGISTERS:
                raise ConfigError(
                    f"tile {tm}x{tn}x{tk} cannot be built with pingpong on {self.ARCH}: one MMA warpgroup holds "
                    f"the whole tile, so tile_m must be {' or '.join(map(str, self.PINGPONG_TILE_M))}, tile_n "
                    f"{', '.join(map(str, self.TILE_N))}, and tile_m * tile_n / 128 (f32 accumulator registers "
                    f"a thread) at most {self.MAX_ACCUMULATOR_REGISTERS}, got {accumulators}")
        elif tm not in self.TILE_M or tn not in self.TILE_N or (tm, tn) in self.EXCLUDED_TILES:
            raise ConfigError(f"tile {tm}x{tn}x{tk} cannot be built on {self.ARCH}: {self.TILE_RULE}")
        k_atom = self.mma_k_atom(dtype)
        if tk <= 0 or tk % k_atom or tk * dtype_bytes(dtype) > self.MAX_TILE_K_BYTES:
            raise ConfigError(
                f"tile_k {tk}: must be a multiple of {k_atom} (the {self.MMA_ENGINE} K atom) with at "
                f"most {self.MAX_TILE_K_BYTES} bytes per row for {dtype}"
            )

    def check_majors(self, a_major: str, b_major: str, dtype: str) -> None:
        if a_major != Major.K:
            raise ConfigError(f"A must be K-major on {self.ARCH}, got a_major '{a_major}'")
        if b_major not in tuple(Major):
            raise ConfigError(f"b_major must be 'k' or 'mn', got '{b_major}'")
        if b_major == Major.MN and dtype not in self.MN_MAJOR_DTYPES:
            raise ConfigError(
                f"8-bit B must be K-major: {self.MMA_ENGINE} reads {dtype} operands K-major only"
            )

    def check_stages(self, spec) -> None:
        stages = spec.stage_count
        if not 1 <= stages <= self.MAX_STAGES:
            raise ConfigError(f"stages must be in 1..{self.MAX_STAGES}, got {stages}")
        if stages > self.max_stages(spec):
            raise ConfigError(
                f"{stages} stages of {self.stage_bytes(spec)} bytes do not fit the "
                f"{self.SMEM_CAPACITY}-byte shared memory of {self.ARCH} beside the epilogue's "
                f"{self.epilogue_bytes(spec)} and the {self.SMEM_RESERVE}-byte reserve: at most "
                f"{self.max_stages(spec)}"
            )
        in_flight = spec.mma_in_flight_count
        if not 0 <= in_flight <= self.MAX_MMA_IN_FLIGHT:
            raise ConfigError(
                f"mma_in_flight must be in 0..{self.MAX_MMA_IN_FLIGHT}, got {in_flight}{self.MMA_IN_FLIGHT_RULE}")
        if in_flight and not spec.warp_specialize:
            raise ConfigError("mma_in_flight must be 0 without warp specialization (the mainloop role is serial)")
        if in_flight >= stages:
            raise ConfigError(
                f"mma_in_flight {in_flight} needs more than {in_flight} stage(s): the consumer holds "
                f"the stage of every batch in flight besides the one it waits for, got {stages}"
            )
