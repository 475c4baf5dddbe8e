"""The `pipe` dialect: warp-specialized TMA -> MMA software pipelines.

A kernel is a `pipe.kernel` holding its static configuration and one region per
warp role (`pipe.role`). The shared-memory ring between TMA producer and MMA
consumer is declared once with `pipe.pipeline`; its position (stage index and
phase) is an SSA value of type `!pipe.state`, threaded through `scf.for`
iter_args and `scf.if` results, so every pipeline event names the exact state
it acts on. Properties are typed (builtin float types, enum attributes) and
hold only what cannot be derived; what a kernel may be is its arch's target's
rule (pipeir.target), which the kernel's verifier asks about `KernelOp.spec`.
See docs/dialect.md for the design and the CuTe DSL mapping.
"""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.dialects.builtin import (
    DenseArrayBase,
    IndexType,
    UnitAttr,
    IntegerAttr,
    StringAttr,
    SymbolNameConstraint,
    i1,
    i64,
)
from xdsl.dialects.utils.enum_attribute import EnumAttribute
from xdsl.ir import (
    Attribute,
    Block,
    Dialect,
    Operation,
    ParametrizedAttribute,
    Region,
    SpacedOpaqueSyntaxAttribute,
    SSAValue,
    TypeAttribute,
)
from xdsl.irdl import (
    AttrSizedOperandSegments,
    IRDLOperation,
    ParsePropInAttrDict,
    irdl_attr_definition,
    irdl_op_definition,
    operand_def,
    opt_operand_def,
    opt_prop_def,
    opt_region_def,
    prop_def,
    region_def,
    result_def,
    traits_def,
)
from xdsl.traits import (
    HasParent,
    NoTerminator,
    Pure,
    SymbolOpInterface,
)
from xdsl.utils.exceptions import VerifyException
from xdsl.utils.str_enum import StrEnum

from pipeir.target import schedule, target_for
from pipeir.target.base import ELEMENT_TYPES, Arch, ConfigError, Major, Raster
from pipeir.target.spec import GemmConfig

DYNAMIC = -1
"""A problem size known only at run time."""
OPERANDS = ("a", "b")
"""What each ring stage holds: one tile of A and one of B."""


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


class RoleKind(StrEnum):
    """What a role's warps do: load (TMA), compute (MMA), or both in the same warps."""

    PRODUCER = "producer"
    CONSUMER = "consumer"
    MAINLOOP = "mainloop"


class OrderPhase(StrEnum):
    """A pingpong kernel's turns (`pipe.order_wait`, `pipe.order_signal`): the consumer
    warpgroups take turns at issuing their tiles' MMAs and, separately, at their
    epilogues, so one warpgroup's MMAs run while the other's epilogue does."""

    MMA = "mma"
    EPILOGUE = "epilogue"


PRODUCER_ROLES = (RoleKind.PRODUCER, RoleKind.MAINLOOP)
CONSUMER_ROLES = (RoleKind.CONSUMER, RoleKind.MAINLOOP)


@irdl_attr_definition
class ArchAttr(EnumAttribute[Arch], SpacedOpaqueSyntaxAttribute):
    """The GPU architecture a kernel is built for: `#pipe<arch sm_90a>`."""

    name = "pipe.arch"


@irdl_attr_definition
class MajorAttr(EnumAttribute[Major], SpacedOpaqueSyntaxAttribute):
    """An operand's contiguous dimension: `#pipe<major k>` or `#pipe<major mn>`."""

    name = "pipe.major"


@irdl_attr_definition
class RasterAttr(EnumAttribute[Raster], SpacedOpaqueSyntaxAttribute):
    """The persistent scheduler's tile order: `#pipe<raster m>` or `#pipe<raster n>`."""

    name = "pipe.raster"


@irdl_attr_definition
class RoleKindAttr(EnumAttribute[RoleKind], SpacedOpaqueSyntaxAttribute):
    """What a role's warps do; printed bare in `pipe.role producer warps(1)`."""

    name = "pipe.role_kind"


@irdl_attr_definition
class OrderPhaseAttr(EnumAttribute[OrderPhase], SpacedOpaqueSyntaxAttribute):
    """The turn an order op names; printed bare in `pipe.order_wait mma`."""

    name = "pipe.order_phase"


@irdl_attr_definition
class PipelineType(ParametrizedAttribute, TypeAttribute):
    """Handle to the shared-memory stage ring (`!pipe.pipeline`)."""

    name = "pipe.pipeline"


@irdl_attr_definition
class StateType(ParametrizedAttribute, TypeAttribute):
    """Position in the ring: stage index and phase (`!pipe.state`)."""

    name = "pipe.state"


def dtype_name(element_type: Attribute) -> str | None:
    """The configuration's name of an IR element type (None if pipeir has none)."""
    return next((name for name, t in ELEMENT_TYPES.items() if t == element_type), None)


def _ints(attr: DenseArrayBase) -> tuple[int, ...]:
    return tuple(int(v) for v in attr.get_values())


def _enclosing(op: Operation, kind: type[Operation]) -> Operation | None:
    parent = op.parent_op()
    while parent is not None and not isinstance(parent, kind):
        parent = parent.parent_op()
    return parent


def enclosing_kernel(op: Operation) -> KernelOp:
    kernel = _enclosing(op, KernelOp)
    if kernel is None:
        raise VerifyException(f"'{op.name}' must be nested inside a 'pipe.kernel'")
    assert isinstance(kernel, KernelOp)
    return kernel


def _verifies(op: Operation) -> bool:
    """Whether `op`'s own rules hold. Checks that read another op's properties
    (the kernel's cluster, its arch) run only when that op verifies: xDSL's
    recursive `verify()` checks nested ops before their parents, and an invalid
    kernel must be reported by its own verifier instead of crashing (ValueError,
    KeyError) inside a child's."""
    try:
        op.verify_()
    except VerifyException:
        return False
    return True


def _require_role(op: Operation, allowed: tuple[RoleKind, ...], what: str) -> None:
    role = _enclosing(op, RoleOp)
    if role is None:
        raise VerifyException(f"'{op.name}' must be inside a 'pipe.role'")
    assert isinstance(role, RoleOp)
    if role.kind.data not in allowed:
        raise VerifyException(
            f"'{op.name}' is a {what} event but sits in a '{role.kind.data}' role "
            f"(allowed roles: {', '.join(allowed)})"
        )


@irdl_op_definition
class KernelOp(IRDLOperation):
    """A warp-specialized GEMM kernel and its static configuration.

    problem = [M, N, K] of the product the MMA computes; -1 marks a dimension known
    only at run time. With `swap_ab` the kernel computes C^T = B @ A^T: operand `a` of
    the ring is the product's B, `b` its A, the problem is [N, M, K] of C = A @ B and
    the epilogue stores each tile transposed into the row-major C. The accumulator is
    f32. Everything else about the kernel (stage bytes, multicast,
    shared-memory budget, MMA engine) follows from these properties and the ring
    depth, and what may be built is the arch's target's rule (pipeir.target): the
    verifier asks it about `spec`, this kernel's configuration.
    """

    name = "pipe.kernel"

    sym_name = prop_def(SymbolNameConstraint())
    arch = prop_def(ArchAttr)
    a_dtype = prop_def(TypeAttribute)
    b_dtype = prop_def(TypeAttribute)
    c_dtype = prop_def(TypeAttribute)
    """Element types of A, B and C: builtin float types (bf16, f16, f8E4M3FN, f8E5M2).
    Any type parses, so that the verifier can say which ones pipeir builds."""
    tile = prop_def(DenseArrayBase)
    cluster = prop_def(DenseArrayBase)
    problem = prop_def(DenseArrayBase)
    a_major = prop_def(MajorAttr)
    b_major = prop_def(MajorAttr)
    raster = opt_prop_def(RasterAttr)
    """Order in which the persistent scheduler walks output tiles (raster m when absent)."""
    raster_group = opt_prop_def(IntegerAttr[IndexType])
    """Cluster tiles per band of that walk (pipeir.target.schedule; 1 when absent)."""
    swap_ab = opt_prop_def(UnitAttr)
    """Present: the kernel computes the transposed product (see the class docstring)."""
    split_k = opt_prop_def(IntegerAttr[IndexType])
    """K slices per output tile (1 when absent): the split-K schedule, whose work units
    are (output tile, split) pairs (`pipe.k_split`, `pipe.split_reduce`)."""
    pingpong = opt_prop_def(UnitAttr)
    """Present: each consumer warpgroup runs the consumer role on whole work tiles of its
    own (`pipe.consumer_warpgroup`, the per-warpgroup work-tile ops), taking turns with
    the other through `pipe.order_wait` / `pipe.order_signal`."""
    row_slabs = opt_prop_def(UnitAttr)
    """Present: a `pipe.copy` of an operand whose rows may run past its tensor's end (a
    dynamic or ragged extent) loads the tile's rows by 8-row slabs and skips the slabs
    past the end, whose stage rows are then left undefined instead of zero-filled (they
    reach only results past the end, which no epilogue stores). GemmConfig.row_slabs."""
    b_evict_first = opt_prop_def(UnitAttr)
    """Present: a `pipe.copy` of B (the product's B, the MMA's A under swap_ab) loads with
    an L2 evict-first cache policy. GemmConfig.b_evict_first."""

    body = region_def("single_block")

    traits = traits_def(NoTerminator(), SymbolOpInterface())

    assembly_format = "$sym_name attr-dict-with-keyword $body"
    irdl_options = (ParsePropInAttrDict(),)

    def __init__(
        self,
        sym_name: str,
        *,
        arch: str,
        a_dtype: str,
        b_dtype: str,
        c_dtype: str,
        tile: Sequence[int],
        cluster: Sequence[int],
        problem: Sequence[int | None],
        a_major: str = Major.K,
        b_major: str = Major.K,
        raster: str | None = None,
        raster_group: int | None = None,
        swap_ab: bool = False,
        split_k: int | None = None,
        pingpong: bool = False,
        row_slabs: bool = False,
        b_evict_first: bool = False,
        body: Region | None = None,
    ):
        """dtypes are configuration names (pipeir.target.base.ELEMENT_TYPES); a None
        problem size is dynamic; `problem` is the MMA's (see the class docstring)."""
        optional = {"raster": RasterAttr(Raster(raster))} if raster is not None else {}
        if raster_group is not None:
            optional["raster_group"] = IntegerAttr(raster_group, IndexType())
        if swap_ab:
            optional["swap_ab"] = UnitAttr()
        if split_k is not None and split_k != 1:
            optional["split_k"] = IntegerAttr(split_k, IndexType())
        if pingpong:
            optional["pingpong"] = UnitAttr()
        if row_slabs:
            optional["row_slabs"] = UnitAttr()
        if b_evict_first:
            optional["b_evict_first"] = UnitAttr()
        super().__init__(
            properties={
                "sym_name": StringAttr(sym_name),
                "arch": ArchAttr(Arch(arch)),
                "a_dtype": ELEMENT_TYPES[a_dtype],
                "b_dtype": ELEMENT_TYPES[b_dtype],
                "c_dtype": ELEMENT_TYPES[c_dtype],
                "tile": DenseArrayBase.from_list(i64, tile),
                "cluster": DenseArrayBase.from_list(i64, cluster),
                "problem": DenseArrayBase.from_list(i64, [DYNAMIC if p is None else p for p in problem]),
                "a_major": MajorAttr(Major(a_major)),
                "b_major": MajorAttr(Major(b_major)),
                **optional,
            },
            regions=[body if body is not None else Region(Block())],
        )

    @property
    def tile_shape(self) -> tuple[int, int, int]:
        m, n, k = _ints(self.tile)
        return m, n, k

    @property
    def cluster_shape(self) -> tuple[int, int]:
        m, n = _ints(self.cluster)
        return m, n

    @property
    def raster_order(self) -> Raster:
        return self.raster.data if self.raster is not None else Raster.M

    @property
    def raster_group_size(self) -> int:
        return self.raster_group.value.data if self.raster_group is not None else 1

    @property
    def problem_shape(self) -> tuple[int, int, int]:
        m, n, k = _ints(self.problem)
        return m, n, k

    @property
    def is_swap_ab(self) -> bool:
        return self.swap_ab is not None

    @property
    def split_k_count(self) -> int:
        return self.split_k.value.data if self.split_k is not None else 1

    @property
    def is_pingpong(self) -> bool:
        return self.pingpong is not None

    @property
    def loads_row_slabs(self) -> bool:
        return self.row_slabs is not None

    @property
    def loads_b_evict_first(self) -> bool:
        return self.b_evict_first is not None

    @property
    def slice_k(self) -> int:
        """The K a work unit's K loop covers (-1: dynamic): K, or under split-K its slice of
        ceil(k_tiles / S) whole k-tiles (the slices past K load zeros)."""
        k, tile_k = self.problem_shape[2], self.tile_shape[2]
        if k == DYNAMIC or self.split_k_count == 1:
            return k
        return schedule.slice_k_tiles(ceil_div(k, tile_k), self.split_k_count) * tile_k

    @property
    def product_shape(self) -> tuple[int, int, int]:
        """(M, N, K) of C = A @ B, which the caller's tensors have (-1: dynamic): the
        problem, with its first two sizes exchanged under swap_ab."""
        rows, columns, k = self.problem_shape
        return (columns, rows, k) if self.is_swap_ab else (rows, columns, k)

    @property
    def a_dtype_name(self) -> str | None:
        return dtype_name(self.a_dtype)

    @property
    def b_dtype_name(self) -> str | None:
        return dtype_name(self.b_dtype)

    @property
    def c_dtype_name(self) -> str | None:
        return dtype_name(self.c_dtype)

    @property
    def roles(self) -> list[RoleOp]:
        return [op for op in self.body.block.ops if isinstance(op, RoleOp)]

    @property
    def pipelines(self) -> list[PipelineOp]:
        return [op for op in self.body.block.ops if isinstance(op, PipelineOp)]

    def mcast_of(self, operand: str) -> int:
        """CTAs of the cluster that receive each TMA load of `operand`: A is shared
        along the cluster's N extent, B along its M extent."""
        cm, cn = self.cluster_shape
        return {"a": cn, "b": cm}[operand]

    @property
    def spec(self) -> GemmConfig:
        """This kernel's configuration: its properties, the ring depth of its pipeline
        (None unless it has exactly one), and the most MMA batches its `pipe.mma_wait`s
        leave in flight."""
        m, n, k = self.product_shape
        tile, cluster = self.tile_shape, self.cluster_shape
        pipelines = self.pipelines
        return GemmConfig(
            m=None if m == DYNAMIC else m,
            n=None if n == DYNAMIC else n,
            k=None if k == DYNAMIC else k,
            dtype=self.a_dtype_name,
            out_dtype=self.c_dtype_name,
            tile=tile,
            stages=pipelines[0].stage_count if len(pipelines) == 1 else None,
            cluster=cluster,
            raster=self.raster_order,
            raster_group=self.raster_group_size,
            arch=self.arch.data,
            b_major=self.b_major.data,
            warp_specialize=all(role.kind.data != RoleKind.MAINLOOP for role in self.roles),
            # A negative pending is its mma_wait's own error, not the kernel's.
            mma_in_flight=max([0, *(op.pending_count for op in self.walk() if isinstance(op, MmaWaitOp))]),
            swap_ab=self.is_swap_ab,
            split_k=self.split_k_count,
            pingpong=self.is_pingpong,
            row_slabs=self.loads_row_slabs,
            b_evict_first=self.loads_b_evict_first,
            name=self.sym_name.data,
        )

    def verify_(self) -> None:
        def fail(rule: str) -> None:
            raise VerifyException(f"'pipe.kernel' @{self.sym_name.data}: {rule}")

        for field, element_type in (("a_dtype", self.a_dtype), ("b_dtype", self.b_dtype), ("c_dtype", self.c_dtype)):
            if dtype_name(element_type) is None:
                fail(f"{field} must be one of {', '.join(map(str, ELEMENT_TYPES.values()))}, got {element_type}")
        tile, cluster, problem = _ints(self.tile), _ints(self.cluster), _ints(self.problem)
        if len(tile) != 3:
            fail(f"tile must be three sizes [m, n, k], got {list(tile)}")
        if len(cluster) != 2:
            fail(f"cluster must be two sizes [m, n], got {list(cluster)}")
        if len(problem) != 3 or any(p == 0 or p < DYNAMIC for p in problem):
            fail(f"problem must be [M, N, K] with positive sizes or -1 (dynamic), got {list(problem)}")
        kinds = [role.kind.data for role in self.roles]
        if RoleKind.MAINLOOP in kinds and len(kinds) != 1:
            fail("a 'mainloop' role (shared producer/consumer warps) must be the only role")
        if RoleKind.MAINLOOP not in kinds and sorted(kinds) != [RoleKind.CONSUMER, RoleKind.PRODUCER]:
            fail(f"needs exactly one 'producer' and one 'consumer' role, got {list(map(str, kinds))}")
        if len(self.pipelines) != 1:
            fail(f"needs exactly one 'pipe.pipeline', got {len(self.pipelines)}")
        target = target_for(self.arch.data)
        try:
            target.check_dtypes(self.a_dtype_name, self.b_dtype_name, self.c_dtype_name)
            target.check_majors(self.a_major.data, self.b_major.data, self.b_dtype_name)
            target.check(self.spec)
        except ConfigError as error:
            fail(str(error))


@irdl_op_definition
class PipelineOp(IRDLOperation):
    """Declares the operand-stage ring and its depth, `pipe.pipeline stages(N)`.

    Each stage holds one tile of A and one of B (`operand_names`), filled by TMA and
    drained by the arch's MMA; how many bytes that is, and how many CTAs each load
    is multicast to (`mcast_of`), follow from the kernel's properties.
    """

    name = "pipe.pipeline"

    stages = prop_def(IntegerAttr[IndexType])

    result = result_def(PipelineType)

    traits = traits_def(HasParent(KernelOp))

    assembly_format = "`stages` `(` $stages `)` attr-dict"

    def __init__(self, stages: int):
        super().__init__(
            properties={"stages": IntegerAttr.from_index_int_value(stages)},
            result_types=[PipelineType()],
        )

    @property
    def stage_count(self) -> int:
        return self.stages.value.data

    @property
    def operand_names(self) -> tuple[str, ...]:
        return OPERANDS

    @property
    def kernel(self) -> KernelOp:
        kernel = self.parent_op()
        assert isinstance(kernel, KernelOp)
        return kernel

    def mcast_of(self, operand: str) -> int:
        return self.kernel.mcast_of(operand)


@irdl_op_definition
class RoleOp(IRDLOperation):
    """The code run by one group of warps.

    kind: `producer` (the TMA warp), `consumer` (the MMA warpgroups) or
    `mainloop` (producer and consumer share their warps: no warp specialization).
    `warps` must be what the kernel's target gives the role (the lowering reads it).
    """

    name = "pipe.role"

    kind = prop_def(RoleKindAttr)
    warps = prop_def(IntegerAttr[IndexType])
    body = region_def("single_block")

    traits = traits_def(NoTerminator(), HasParent(KernelOp))

    assembly_format = "$kind `warps` `(` $warps `)` attr-dict-with-keyword $body"

    def __init__(self, kind: str, warps: int, body: Region | None = None):
        super().__init__(
            properties={
                "kind": RoleKindAttr(RoleKind(kind)),
                "warps": IntegerAttr.from_index_int_value(warps),
            },
            regions=[body if body is not None else Region(Block())],
        )

    def verify_(self) -> None:
        kernel = self.parent_op()
        if not isinstance(kernel, KernelOp):
            return  # HasParent reports it
        target = target_for(kernel.arch.data)
        expected = target.role_warps(self.kind.data)
        if self.warps.value.data != expected:
            raise VerifyException(
                f"'pipe.role' {self.kind.data}: a {self.kind.data} role has {expected} warp(s) "
                f"on {target.ARCH}, got {self.warps.value.data}"
            )


@irdl_op_definition
class InitStateOp(IRDLOperation):
    """The first pipeline state of a role: stage `index`, `phase`.

    Producers start at phase 1 (every stage is initially free), consumers at 0.
    """

    name = "pipe.init_state"

    pipeline = operand_def(PipelineType)
    index = prop_def(IntegerAttr[IndexType])
    phase = prop_def(IntegerAttr[IndexType])
    result = result_def(StateType)

    assembly_format = "$pipeline `index` `(` $index `)` `phase` `(` $phase `)` attr-dict"

    def __init__(self, pipeline: SSAValue, index: int, phase: int):
        super().__init__(
            operands=[pipeline],
            properties={
                "index": IntegerAttr.from_index_int_value(index),
                "phase": IntegerAttr.from_index_int_value(phase),
            },
            result_types=[StateType()],
        )

    def verify_(self) -> None:
        owner = self.pipeline.owner
        index, phase = self.index.value.data, self.phase.value.data
        if isinstance(owner, PipelineOp) and not 0 <= index < owner.stage_count:
            raise VerifyException(
                f"'pipe.init_state': stage index {index} is out of range for a "
                f"{owner.stage_count}-stage pipeline"
            )
        if phase not in (0, 1):
            raise VerifyException(f"'pipe.init_state': phase must be 0 or 1, got {phase}")


@irdl_op_definition
class AdvanceOp(IRDLOperation):
    """The next ring position: index + 1, wrapping to 0 with the phase flipped; with
    `by(%n)`, the position n stages on (n >= 0: a pingpong warpgroup skips the stages
    of the other warpgroup's tiles)."""

    name = "pipe.advance"

    state = operand_def(StateType)
    count = opt_operand_def(IndexType)
    result = result_def(StateType)

    traits = traits_def(Pure())

    assembly_format = "$state (`by` `(` $count^ `)`)? attr-dict"

    def __init__(self, state: SSAValue, count: SSAValue | None = None):
        super().__init__(operands=[state, [count] if count is not None else []], result_types=[StateType()])


class StageEventOp(IRDLOperation):
    """An event on one stage of the ring, `pipe.<event> %pipeline[%state]`."""

    pipeline = operand_def(PipelineType)
    state = operand_def(StateType)

    assembly_format = "$pipeline `[` $state `]` attr-dict"

    def __init__(self, pipeline: SSAValue, state: SSAValue):
        super().__init__(operands=[pipeline, state])


class ProducerEventOp(StageEventOp):
    def verify_(self) -> None:
        _require_role(self, PRODUCER_ROLES, "producer")


class ConsumerEventOp(StageEventOp):
    def verify_(self) -> None:
        _require_role(self, CONSUMER_ROLES, "consumer")


@irdl_op_definition
class AcquireOp(ProducerEventOp):
    """Producer: block until the stage is empty, then arm its full barrier."""

    name = "pipe.acquire"


@irdl_op_definition
class CommitOp(ProducerEventOp):
    """Producer: the stage's copies are issued (TMA completes the full barrier)."""

    name = "pipe.commit"


@irdl_op_definition
class ProducerTailOp(ProducerEventOp):
    """Producer: before exit, wait until consumers released every stage in flight."""

    name = "pipe.producer_tail"


@irdl_op_definition
class WaitOp(ConsumerEventOp):
    """Consumer: block until the stage is full."""

    name = "pipe.wait"


@irdl_op_definition
class MmaOp(ConsumerEventOp):
    """Consumer: issue the MMA batch that accumulates the stage's A and B tiles into the
    accumulators, asynchronously (WGMMA on sm_90a): the stage is read, and the
    accumulators written, until a `pipe.mma_wait` retires the batch."""

    name = "pipe.mma"


@irdl_op_definition
class MmaWaitOp(IRDLOperation):
    """Consumer: wait until at most `pending` of the role's issued `pipe.mma` batches
    are still running (WGMMA's wait_group). `pipe.mma` only issues its batch: a stage
    may be released, and the accumulators read, once its batch has retired."""

    name = "pipe.mma_wait"

    pending = prop_def(IntegerAttr[IndexType])

    assembly_format = "`pending` `(` $pending `)` attr-dict"

    def __init__(self, pending: int):
        super().__init__(properties={"pending": IntegerAttr.from_index_int_value(pending)})

    @property
    def pending_count(self) -> int:
        return self.pending.value.data

    def verify_(self) -> None:
        _require_role(self, CONSUMER_ROLES, "consumer")
        if self.pending_count < 0:
            raise VerifyException(
                f"'pipe.mma_wait': mma_wait pending({self.pending_count}): batches left in flight "
                "cannot be negative"
            )


@irdl_op_definition
class ReleaseOp(ConsumerEventOp):
    """Consumer: the stage may be refilled (signals every CTA that multicast into it)."""

    name = "pipe.release"


def _between_acquire_and_commit(op: Operation, state: SSAValue) -> bool:
    """Whether `op` follows an acquire of `state` in its block with no commit of
    `state` in between, and a commit of `state` follows it in the same block."""
    acquired = False
    block = op.parent_block()
    assert block is not None
    for other in block.ops:
        if other is op:
            break
        if isinstance(other, (AcquireOp, CommitOp)) and other.state == state:
            acquired = isinstance(other, AcquireOp)
    if not acquired:
        return False
    after = op.next_op
    while after is not None:
        if isinstance(after, (AcquireOp, CommitOp)) and after.state == state:
            return isinstance(after, CommitOp)
        after = after.next_op
    return False


@irdl_op_definition
class CopyOp(IRDLOperation):
    """Producer: TMA-load tile (`tile`, `k_tile`) of `operand` into the stage of `state`.

    `tile` is the output-tile row for A (its m coordinate) and the output-tile
    column for B (its n coordinate). A multicast operand (`KernelOp.mcast_of` > 1)
    needs the CTA's rank in its cluster, which selects the slice this CTA loads
    and the peers it multicasts to.
    """

    name = "pipe.copy"

    operand = prop_def(StringAttr)
    tile = operand_def(IndexType)
    k_tile = operand_def(IndexType)
    pipeline = operand_def(PipelineType)
    state = operand_def(StateType)
    rank = opt_operand_def(IndexType)
    split = opt_operand_def(IndexType)

    irdl_options = (AttrSizedOperandSegments(),)

    assembly_format = (
        "$operand `[` $tile `,` $k_tile `]` (`split` $split^)? `into` $pipeline `[` $state `]` "
        "(`rank` $rank^)? attr-dict"
    )

    def __init__(
        self,
        operand: str,
        tile: SSAValue,
        k_tile: SSAValue,
        pipeline: SSAValue,
        state: SSAValue,
        rank: SSAValue | None = None,
        split: SSAValue | None = None,
    ):
        super().__init__(
            operands=[tile, k_tile, pipeline, state, [rank] if rank is not None else [],
                      [split] if split is not None else []],
            properties={"operand": StringAttr(operand)},
        )

    def verify_(self) -> None:
        _require_role(self, PRODUCER_ROLES, "producer")
        if self.operand.data not in OPERANDS:
            raise VerifyException(
                f"'pipe.copy': operand '{self.operand.data}' is not held by the "
                f"pipeline (it holds {', '.join(OPERANDS)})"
            )
        kernel = enclosing_kernel(self)
        if _verifies(kernel):
            receivers = kernel.mcast_of(self.operand.data)
            if (receivers > 1) != (self.rank is not None):
                need = "needs" if self.rank is None else "must not have"
                raise VerifyException(
                    f"'pipe.copy' of '{self.operand.data}': a copy multicast to "
                    f"{receivers} CTA(s) {need} a `rank` operand"
                )
            if (kernel.split_k_count > 1) != (self.split is not None):
                need = "needs" if self.split is None else "must not have"
                raise VerifyException(
                    f"'pipe.copy' of '{self.operand.data}': a copy in a kernel of split_k "
                    f"{kernel.split_k_count} {need} a `split` operand"
                )
        if not _between_acquire_and_commit(self, self.state):
            raise VerifyException(
                f"'pipe.copy' of '{self.operand.data}' must sit between a 'pipe.acquire' "
                "and a 'pipe.commit' of the same stage state in the same block"
            )


class PureIndexOp(IRDLOperation):
    """A side-effect-free index value derived from the launch or the problem."""

    result = result_def(IndexType)
    traits = traits_def(Pure())
    assembly_format = "attr-dict"

    def __init__(self):
        super().__init__(result_types=[IndexType()])

    def verify_(self) -> None:
        enclosing_kernel(self)


@irdl_op_definition
class ClusterRankOp(PureIndexOp):
    """This CTA's rank in its cluster: make_warp_uniform(block_idx_in_cluster())."""

    name = "pipe.cta_rank_in_cluster"


@irdl_op_definition
class KTileCountOp(PureIndexOp):
    """Number of K tiles of a work unit: ceil(K / tile_k), or under split-K the
    ceil(ceil(K / tile_k) / split_k) k-tiles of its slice (`KernelOp.slice_k`)."""

    name = "pipe.k_tile_count"


@irdl_op_definition
class WorkTileCountOp(PureIndexOp):
    """Number of output tiles: ceil(M / tile_m) * ceil(N / tile_n)."""

    name = "pipe.work_tile_count"


def _require_pingpong_consumer(op: Operation) -> None:
    """`op` describes one consumer warpgroup of a pingpong kernel."""
    _require_role(op, (RoleKind.CONSUMER,), "pingpong consumer")
    kernel = enclosing_kernel(op)
    if _verifies(kernel) and not kernel.is_pingpong:
        raise VerifyException(
            f"'{op.name}' needs a pingpong kernel (the 'pingpong' property): the consumer "
            "warpgroups of this kernel share every tile"
        )


class WorkTileScheduleOp(PureIndexOp):
    """A work-tile op of the CTA's persistent schedule or, with `warpgroup` (pingpong
    consumers), of this consumer warpgroup's share of it: warpgroup w of W takes the
    CTA's work tiles w, w + W, w + 2W, ..."""

    warpgroup = opt_prop_def(UnitAttr)

    assembly_format = "(`warpgroup` $warpgroup^)? attr-dict"

    def __init__(self, warpgroup: bool = False):
        IRDLOperation.__init__(
            self, result_types=[IndexType()], properties={"warpgroup": UnitAttr()} if warpgroup else {})

    @property
    def per_warpgroup(self) -> bool:
        return self.warpgroup is not None

    def verify_(self) -> None:
        enclosing_kernel(self)
        if self.per_warpgroup:
            _require_pingpong_consumer(self)


@irdl_op_definition
class FirstWorkTileOp(WorkTileScheduleOp):
    """The first output tile this CTA owns in the persistent schedule (with `warpgroup`:
    this consumer warpgroup's first, the CTA's first + warpgroup * stride)."""

    name = "pipe.first_work_tile"


@irdl_op_definition
class WorkTileStrideOp(WorkTileScheduleOp):
    """Distance between consecutive tiles of one CTA (the persistent grid size; with
    `warpgroup`: of one consumer warpgroup, the grid size times the warpgroups)."""

    name = "pipe.work_tile_stride"


@irdl_op_definition
class ConsumerWarpgroupOp(PureIndexOp):
    """Pingpong consumer: this warpgroup's index among the consumer role's warpgroups
    (0 or 1 on sm_90a). Each warpgroup runs the role's body on its own work tiles; its
    ring state skips the stages of the other's (`pipe.advance ... by`)."""

    name = "pipe.consumer_warpgroup"

    def verify_(self) -> None:
        _require_pingpong_consumer(self)


class OrderOp(IRDLOperation):
    """A pingpong consumer's turn of `phase`, which the warpgroups take in the order of
    their tiles (warpgroup 0 first, then 1, then 0, ...): CUTLASS's
    OrderedSequenceBarrier between the MMA warpgroups."""

    phase = prop_def(OrderPhaseAttr)

    assembly_format = "$phase attr-dict"

    def __init__(self, phase: str):
        super().__init__(properties={"phase": OrderPhaseAttr(OrderPhase(phase))})

    @property
    def phase_kind(self) -> OrderPhase:
        return self.phase.data

    def verify_(self) -> None:
        _require_pingpong_consumer(self)


@irdl_op_definition
class OrderWaitOp(OrderOp):
    """Block until it is this warpgroup's turn of `phase`: the other warpgroup signalled
    its previous turn (warpgroup 0's first turn passes at once)."""

    name = "pipe.order_wait"


@irdl_op_definition
class OrderSignalOp(OrderOp):
    """End this warpgroup's turn of `phase`: hand it to the other warpgroup."""

    name = "pipe.order_signal"


def _require_split_k(op: Operation) -> None:
    kernel = enclosing_kernel(op)
    if _verifies(kernel) and kernel.split_k_count == 1:
        raise VerifyException(f"'{op.name}' needs a split-K kernel (a 'split_k' greater than 1)")


@irdl_op_definition
class KSplitOp(IRDLOperation):
    """The K split of linear work unit `tile` in a split-K kernel: which slice of K
    (pipeir.target.schedule.split_of) its copies load and its partial tile is."""

    name = "pipe.k_split"

    tile = operand_def(IndexType)
    result = result_def(IndexType)

    traits = traits_def(Pure())
    assembly_format = "$tile attr-dict"

    def __init__(self, tile: SSAValue):
        super().__init__(operands=[tile], result_types=[IndexType()])

    def verify_(self) -> None:
        _require_split_k(self)


@irdl_op_definition
class SplitReduceOp(IRDLOperation):
    """Consumer, split-K: hand the accumulators, split `split`'s partial product of output
    tile (m, n), to the tile's deterministic reduction, and say whether this unit
    completed it. The partial goes to the tile's workspace slot; the unit that arrives
    last at the tile's ticket (exactly one of its splits) gets true and the sum of every
    split's partial, added in split order 0..S-1, in its accumulators: it alone runs the
    tile's epilogue. The others get false, with their accumulators unchanged. Needs the
    accumulators' batches retired, like an epilogue."""

    name = "pipe.split_reduce"

    m = operand_def(IndexType)
    n = operand_def(IndexType)
    split = operand_def(IndexType)
    last = result_def(i1)

    assembly_format = "$m `,` $n `split` $split attr-dict"

    def __init__(self, m: SSAValue, n: SSAValue, split: SSAValue):
        super().__init__(operands=[m, n, split], result_types=[i1])

    def verify_(self) -> None:
        _require_role(self, CONSUMER_ROLES, "consumer")
        _require_split_k(self)


@irdl_op_definition
class TileCoordsOp(IRDLOperation):
    """Output tile coordinates (m, n) of linear work tile `tile`."""

    name = "pipe.tile_coords"

    tile = operand_def(IndexType)
    m = result_def(IndexType)
    n = result_def(IndexType)

    traits = traits_def(Pure())
    assembly_format = "$tile attr-dict"

    def __init__(self, tile: SSAValue):
        super().__init__(operands=[tile], result_types=[IndexType(), IndexType()])

    def verify_(self) -> None:
        enclosing_kernel(self)


class KTilePredicateOp(IRDLOperation):
    """A predicate on k-tile `k_tile` against the kernel's K and tile_k."""

    k_tile = operand_def(IndexType)
    result = result_def(i1)

    traits = traits_def(Pure())
    assembly_format = "$k_tile attr-dict"

    def __init__(self, k_tile: SSAValue):
        super().__init__(operands=[k_tile], result_types=[i1])

    def verify_(self) -> None:
        enclosing_kernel(self)


@irdl_op_definition
class KTileFitsOp(KTilePredicateOp):
    """k-tile `k_tile` starts inside K: k_tile * tile_k < K (K: `KernelOp.slice_k`)."""

    name = "pipe.k_tile_fits"

    @staticmethod
    def holds(k_tile: int, tile_k: int, k: int) -> bool:
        return k_tile * tile_k < k


@irdl_op_definition
class KTileFullOp(KTilePredicateOp):
    """k-tile `k_tile` lies entirely inside K: (k_tile + 1) * tile_k <= K (K:
    `KernelOp.slice_k`)."""

    name = "pipe.k_tile_full"

    @staticmethod
    def holds(k_tile: int, tile_k: int, k: int) -> bool:
        return (k_tile + 1) * tile_k <= k


@irdl_op_definition
class MnTileFullOp(IRDLOperation):
    """Output tile (m, n) lies entirely inside M x N (no edge masking needed)."""

    name = "pipe.mn_tile_full"

    m = operand_def(IndexType)
    n = operand_def(IndexType)
    result = result_def(i1)

    traits = traits_def(Pure())
    assembly_format = "$m `,` $n attr-dict"

    def __init__(self, m: SSAValue, n: SSAValue):
        super().__init__(operands=[m, n], result_types=[i1])

    def verify_(self) -> None:
        enclosing_kernel(self)


@irdl_op_definition
class AccInitOp(IRDLOperation):
    """Consumer: zero the accumulators for a new output tile."""

    name = "pipe.acc_init"
    assembly_format = "attr-dict"

    def __init__(self):
        super().__init__()

    def verify_(self) -> None:
        _require_role(self, CONSUMER_ROLES, "consumer")


@irdl_op_definition
class EpilogueOp(IRDLOperation):
    """Consumer: store output tile (m, n) from the accumulators, converted to c_dtype.

    `masked` stores only the elements inside M x N (edge tiles). The optional region
    (`epi` ops, pipeir.dialects.epi) says what is stored: without one, the accumulators.
    `prefetch` issues the region's first operand reads (the values held for the tile and
    subtile 0's) where the tile's coordinates are known (`pipe.tile_coords`), before its
    K loop, so that their latency hides behind the MMAs instead of following the
    accumulator wait; the values stay in registers across the K loop.
    """

    name = "pipe.epilogue"

    m = operand_def(IndexType)
    n = operand_def(IndexType)
    masked = prop_def(IntegerAttr[i1])
    prefetch = opt_prop_def(UnitAttr)
    body = opt_region_def("single_block")

    assembly_format = (
        "$m `,` $n `masked` `(` $masked `)` (`prefetch` $prefetch^)? attr-dict-with-keyword ($body^)?"
    )

    def __init__(self, m: SSAValue, n: SSAValue, masked: bool, body: Region | None = None, prefetch: bool = False):
        super().__init__(
            operands=[m, n],
            properties={"masked": IntegerAttr.from_bool(masked), **({"prefetch": UnitAttr()} if prefetch else {})},
            regions=[[body] if body is not None else []],
        )

    @property
    def prefetches(self) -> bool:
        return self.prefetch is not None

    @property
    def computation(self) -> Block | None:
        """The block of `epi` ops that computes the stored value (None: the accumulators)."""
        return self.body.block if self.body is not None and self.body.blocks else None

    def verify_(self) -> None:
        _require_role(self, CONSUMER_ROLES, "consumer")
        block = self.computation
        if block is not None and (block.last_op is None or block.last_op.name != "epi.yield"):
            raise VerifyException("'pipe.epilogue': its region must end with 'epi.yield' (the value stored)")
        if self.prefetches:
            if block is None or not any(inner.name == "epi.load" for inner in block.ops):
                raise VerifyException("'pipe.epilogue': prefetch needs a region that loads an operand ('epi.load')")
            coords = [value.owner for value in (self.m, self.n)]
            if not (isinstance(coords[0], TileCoordsOp) and coords[0] is coords[1]
                    and (self.m, self.n) == (coords[0].m, coords[0].n)):
                raise VerifyException(
                    "'pipe.epilogue': prefetch needs its (m, n) to be the results of one 'pipe.tile_coords'")
            arch = enclosing_kernel(self).arch.data
            if not target_for(arch).EPILOGUE_PREFETCH:
                raise VerifyException(f"'pipe.epilogue': prefetch is not built for {arch}: its epilogue reads "
                                      "after the accumulator wait")


Pipe = Dialect(
    "pipe",
    [
        KernelOp,
        PipelineOp,
        RoleOp,
        InitStateOp,
        AdvanceOp,
        AcquireOp,
        CopyOp,
        CommitOp,
        ProducerTailOp,
        WaitOp,
        MmaOp,
        MmaWaitOp,
        ReleaseOp,
        ClusterRankOp,
        KTileCountOp,
        WorkTileCountOp,
        FirstWorkTileOp,
        WorkTileStrideOp,
        ConsumerWarpgroupOp,
        OrderWaitOp,
        OrderSignalOp,
        TileCoordsOp,
        KSplitOp,
        SplitReduceOp,
        KTileFitsOp,
        KTileFullOp,
        MnTileFullOp,
        AccInitOp,
        EpilogueOp,
    ],
    [ArchAttr, MajorAttr, RasterAttr, RoleKindAttr, OrderPhaseAttr, PipelineType, StateType],
)
