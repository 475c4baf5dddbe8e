"""The `pipe` dialect: warp-specialized TMA -> MMA software pipelines.

A kernel is a `pipe.kernel` holding its static configuration and one region per
warp role (`pipe.role`). The shared-memory ring between TMA producer and MMA
consumer is declared once with `pipe.pipeline`; its position (stage index and
phase) is an SSA value of type `!pipe.state`, threaded through `scf.for`
iter_args and `scf.if` results, so every pipeline event names the exact state
it acts on. See docs/dialect.md for the design and the CuTe DSL mapping.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from xdsl.dialects.builtin import (
    ArrayAttr,
    DenseArrayBase,
    IndexType,
    IntegerAttr,
    StringAttr,
    SymbolNameConstraint,
    i1,
    i64,
)
from xdsl.ir import (
    Attribute,
    Block,
    Dialect,
    Operation,
    ParametrizedAttribute,
    Region,
    SSAValue,
    TypeAttribute,
)
from xdsl.irdl import (
    IRDLOperation,
    ParsePropInAttrDict,
    irdl_attr_definition,
    irdl_op_definition,
    operand_def,
    opt_operand_def,
    opt_prop_def,
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

ARCHS = ("sm_90a", "sm_100a")
CONSUMER_FOR_ARCH = {"sm_90a": "wgmma", "sm_100a": "umma"}
DTYPE_BYTES = {"f16": 2, "bf16": 2, "f8e4m3": 1, "f8e5m2": 1, "f32": 4}
OPERAND_DTYPES = ("f16", "bf16", "f8e4m3", "f8e5m2")
OUTPUT_DTYPES = ("f16", "bf16")
CLUSTER_SHAPES = ((1, 1), (2, 1), (1, 2), (2, 2))
RASTER_ORDERS = ("m", "n")
MAX_STAGES = 12
DYNAMIC = -1


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)
ROLE_KINDS = ("producer", "consumer", "mainloop")
PRODUCER_ROLES = ("producer", "mainloop")
CONSUMER_ROLES = ("consumer", "mainloop")
OPERANDS = ("a", "b")


@irdl_attr_definition
class PipelineType(ParametrizedAttribute, TypeAttribute):
    """Handle to the shared-memory stage ring (`!pipe.pipeline`)."""

    name = "pipe.pipeline"


@irdl_attr_definition
class StateType(ParametrizedAttribute, TypeAttribute):
    """Position in the ring: stage index and phase (`!pipe.state`)."""

    name = "pipe.state"


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
    (the kernel's tile, the pipeline's mcast) run only when that op verifies:
    xDSL's recursive `verify()` checks nested ops before their parents, and an
    invalid kernel or pipeline must be reported by its own verifier instead of
    crashing (KeyError, IndexError) inside a child's."""
    try:
        op.verify_()
    except VerifyException:
        return False
    return True


def _require_role(op: Operation, allowed: tuple[str, ...], what: str) -> None:
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

    problem = [M, N, K]; -1 marks a dimension known only at run time.
    """

    name = "pipe.kernel"

    sym_name = prop_def(SymbolNameConstraint())
    arch = prop_def(StringAttr)
    a_dtype = prop_def(StringAttr)
    b_dtype = prop_def(StringAttr)
    c_dtype = prop_def(StringAttr)
    acc_dtype = prop_def(StringAttr)
    tile = prop_def(DenseArrayBase)
    cluster = prop_def(DenseArrayBase)
    problem = prop_def(DenseArrayBase)
    a_major = prop_def(StringAttr)
    b_major = prop_def(StringAttr)
    raster = opt_prop_def(StringAttr)
    """Order in which the persistent scheduler walks output tiles: "m" (down a column
    of tiles first, the default when absent) or "n" (along a row)."""

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
        problem: Sequence[int],
        a_major: str = "k",
        b_major: str = "k",
        raster: str | None = None,
        body: Region | None = None,
    ):
        optional = {"raster": StringAttr(raster)} if raster is not None else {}
        super().__init__(
            properties={
                "sym_name": StringAttr(sym_name),
                "arch": StringAttr(arch),
                "a_dtype": StringAttr(a_dtype),
                "b_dtype": StringAttr(b_dtype),
                "c_dtype": StringAttr(c_dtype),
                "acc_dtype": StringAttr("f32"),
                "tile": DenseArrayBase.from_list(i64, tile),
                "cluster": DenseArrayBase.from_list(i64, cluster),
                "problem": DenseArrayBase.from_list(i64, problem),
                "a_major": StringAttr(a_major),
                "b_major": StringAttr(b_major),
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
    def raster_order(self) -> str:
        return self.raster.data if self.raster is not None else "m"

    @property
    def problem_shape(self) -> tuple[int, int, int]:
        m, n, k = _ints(self.problem)
        return m, n, k

    @property
    def roles(self) -> list[RoleOp]:
        return [op for op in self.body.block.ops if isinstance(op, RoleOp)]

    @property
    def pipelines(self) -> list[PipelineOp]:
        return [op for op in self.body.block.ops if isinstance(op, PipelineOp)]

    def stage_bytes(self) -> int:
        tm, tn, tk = self.tile_shape
        return tk * (
            tm * DTYPE_BYTES[self.a_dtype.data] + tn * DTYPE_BYTES[self.b_dtype.data]
        )

    def verify_(self) -> None:
        def fail(rule: str) -> None:
            raise VerifyException(f"'pipe.kernel' @{self.sym_name.data}: {rule}")

        if self.arch.data not in ARCHS:
            fail(f"arch must be one of {', '.join(ARCHS)}, got '{self.arch.data}'")
        for operand, dtype in (("a", self.a_dtype), ("b", self.b_dtype)):
            if dtype.data not in OPERAND_DTYPES:
                fail(
                    f"{operand}_dtype must be one of {', '.join(OPERAND_DTYPES)}, "
                    f"got '{dtype.data}'"
                )
        if (DTYPE_BYTES[self.a_dtype.data] == 1) != (DTYPE_BYTES[self.b_dtype.data] == 1):
            fail("a_dtype and b_dtype must both be 8-bit or both be 16-bit")
        if self.c_dtype.data not in OUTPUT_DTYPES:
            fail(f"c_dtype must be one of {', '.join(OUTPUT_DTYPES)}, got '{self.c_dtype.data}'")
        if self.acc_dtype.data != "f32":
            fail(f"acc_dtype must be 'f32', got '{self.acc_dtype.data}'")
        tile, cluster, problem = _ints(self.tile), _ints(self.cluster), _ints(self.problem)
        if len(tile) != 3 or any(t <= 0 for t in tile):
            fail(f"tile must be three positive sizes [m, n, k], got {list(tile)}")
        if len(cluster) != 2 or tuple(cluster) not in CLUSTER_SHAPES:
            fail(
                "cluster must be one of "
                + ", ".join(f"[{m}, {n}]" for m, n in CLUSTER_SHAPES)
                + f", got {list(cluster)}"
            )
        if len(problem) != 3 or any(p == 0 or p < DYNAMIC for p in problem):
            fail(f"problem must be [M, N, K] with positive sizes or -1 (dynamic), got {list(problem)}")
        if self.a_major.data != "k":
            fail(f"a_major must be 'k', got '{self.a_major.data}'")
        if self.b_major.data not in ("k", "mn"):
            fail(f"b_major must be 'k' or 'mn', got '{self.b_major.data}'")
        if self.b_major.data == "mn" and DTYPE_BYTES[self.b_dtype.data] == 1:
            fail("8-bit B must be K-major (b_major = 'k')")
        if self.raster_order not in RASTER_ORDERS:
            fail(f"raster must be 'm' or 'n', got '{self.raster_order}'")
        kinds = [role.kind.data for role in self.roles]
        # A role of unknown kind is reported by the role itself, at its location.
        if all(kind in ROLE_KINDS for kind in kinds):
            if "mainloop" in kinds and len(kinds) != 1:
                fail("a 'mainloop' role (shared producer/consumer warps) must be the only role")
            if "mainloop" not in kinds and sorted(kinds) != ["consumer", "producer"]:
                fail(f"needs exactly one 'producer' and one 'consumer' role, got {kinds}")
        if len(self.pipelines) != 1:
            fail(f"needs exactly one 'pipe.pipeline', got {len(self.pipelines)}")


@irdl_op_definition
class PipelineOp(IRDLOperation):
    """Declares the operand-stage ring: depth, who fills it, who drains it.

    `holds` lists what each stage holds (one tile per operand, `stage_bytes`
    in total); `mcast` gives, per operand, how many CTAs of the cluster receive
    each TMA load (A is shared along the cluster's N extent, B along its M).
    """

    name = "pipe.pipeline"

    stages = prop_def(IntegerAttr[IndexType])
    producer = prop_def(StringAttr)
    consumer = prop_def(StringAttr)
    holds = prop_def(ArrayAttr[StringAttr])
    stage_bytes = prop_def(IntegerAttr[IndexType])
    mcast = prop_def(DenseArrayBase)

    result = result_def(PipelineType)

    traits = traits_def(HasParent(KernelOp))

    assembly_format = (
        "`stages` `(` $stages `)` $producer `->` $consumer `holds` $holds "
        "`bytes` `(` $stage_bytes `)` attr-dict"
    )
    irdl_options = (ParsePropInAttrDict(),)

    def __init__(
        self,
        stages: int,
        consumer: str,
        stage_bytes: int,
        mcast: Sequence[int],
        holds: Sequence[str] = OPERANDS,
    ):
        super().__init__(
            properties={
                "stages": IntegerAttr.from_index_int_value(stages),
                "producer": StringAttr("tma"),
                "consumer": StringAttr(consumer),
                "holds": ArrayAttr([StringAttr(o) for o in holds]),
                "stage_bytes": IntegerAttr.from_index_int_value(stage_bytes),
                "mcast": DenseArrayBase.from_list(i64, mcast),
            },
            result_types=[PipelineType()],
        )

    @property
    def stage_count(self) -> int:
        return self.stages.value.data

    @property
    def operand_names(self) -> tuple[str, ...]:
        return tuple(o.data for o in self.holds.data)

    def verify_(self) -> None:
        def fail(rule: str) -> None:
            raise VerifyException(f"'pipe.pipeline': {rule}")

        if not 1 <= self.stage_count <= MAX_STAGES:
            fail(f"stages must be in 1..{MAX_STAGES}, got {self.stage_count}")
        if self.producer.data != "tma":
            fail(f"producer must be 'tma', got '{self.producer.data}'")
        if self.operand_names != OPERANDS:
            fail(f"holds must be [\"a\", \"b\"], got {list(self.operand_names)}")
        kernel = self.parent_op()
        if not isinstance(kernel, KernelOp) or not _verifies(kernel):
            return
        expected = CONSUMER_FOR_ARCH.get(kernel.arch.data)
        if expected is not None and self.consumer.data != expected:
            fail(
                f"consumer '{self.consumer.data}' does not run on {kernel.arch.data} "
                f"(expected '{expected}')"
            )
        if self.stage_bytes.value.data != kernel.stage_bytes():
            fail(
                f"stage_bytes ({self.stage_bytes.value.data}) must equal the A and B "
                f"tile bytes of the kernel's tile shape ({kernel.stage_bytes()})"
            )
        cm, cn = kernel.cluster_shape
        if _ints(self.mcast) != (cn, cm):
            fail(
                f"mcast must be [cluster_n, cluster_m] = [{cn}, {cm}] for cluster "
                f"{cm}x{cn}, got {list(_ints(self.mcast))}"
            )

    def mcast_of(self, operand: str) -> int:
        return _ints(self.mcast)[self.operand_names.index(operand)]


@irdl_op_definition
class RoleOp(IRDLOperation):
    """The code run by one group of warps.

    kind: `producer` (the TMA warp), `consumer` (the MMA warpgroups) or
    `mainloop` (producer and consumer share their warps: no warp specialization).
    """

    name = "pipe.role"

    kind = prop_def(StringAttr)
    warps = prop_def(IntegerAttr[IndexType])
    body = region_def("single_block")

    traits = traits_def(NoTerminator(), HasParent(KernelOp))

    assembly_format = "$kind `warps` `(` $warps `)` attr-dict-with-keyword $body"

    def __init__(self, kind: str, warps: int, body: Region | None = None):
        super().__init__(
            properties={
                "kind": StringAttr(kind),
                "warps": IntegerAttr.from_index_int_value(warps),
            },
            regions=[body if body is not None else Region(Block())],
        )

    def verify_(self) -> None:
        if self.kind.data not in ROLE_KINDS:
            raise VerifyException(
                f"'pipe.role': kind must be one of {', '.join(ROLE_KINDS)}, got '{self.kind.data}'"
            )
        if self.warps.value.data <= 0:
            raise VerifyException(
                f"'pipe.role' {self.kind.data}: warps must be positive, got {self.warps.value.data}"
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
    """The next ring position: index + 1, wrapping to 0 with the phase flipped."""

    name = "pipe.advance"

    state = operand_def(StateType)
    result = result_def(StateType)

    traits = traits_def(Pure())

    assembly_format = "$state attr-dict"

    def __init__(self, state: SSAValue):
        super().__init__(operands=[state], result_types=[StateType()])


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
    """Consumer: accumulate the stage's A and B tiles into the accumulators."""

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
    column for B (its n coordinate). A multicast operand (pipeline `mcast` > 1)
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

    assembly_format = (
        "$operand `[` $tile `,` $k_tile `]` `into` $pipeline `[` $state `]` "
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
    ):
        super().__init__(
            operands=[tile, k_tile, pipeline, state, [rank] if rank is not None else []],
            properties={"operand": StringAttr(operand)},
        )

    def verify_(self) -> None:
        _require_role(self, PRODUCER_ROLES, "producer")
        pipeline = self.pipeline.owner
        if isinstance(pipeline, PipelineOp) and _verifies(pipeline):
            if self.operand.data not in pipeline.operand_names:
                raise VerifyException(
                    f"'pipe.copy': operand '{self.operand.data}' is not held by the "
                    f"pipeline (it holds {', '.join(pipeline.operand_names)})"
                )
            if (pipeline.mcast_of(self.operand.data) > 1) != (self.rank is not None):
                need = "needs" if self.rank is None else "must not have"
                raise VerifyException(
                    f"'pipe.copy' of '{self.operand.data}': a copy multicast to "
                    f"{pipeline.mcast_of(self.operand.data)} CTA(s) {need} a `rank` operand"
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
    """Number of K tiles: ceil(K / tile_k)."""

    name = "pipe.k_tile_count"


@irdl_op_definition
class WorkTileCountOp(PureIndexOp):
    """Number of output tiles: ceil(M / tile_m) * ceil(N / tile_n)."""

    name = "pipe.work_tile_count"


@irdl_op_definition
class FirstWorkTileOp(PureIndexOp):
    """The first output tile this CTA owns in the persistent schedule."""

    name = "pipe.first_work_tile"


@irdl_op_definition
class WorkTileStrideOp(PureIndexOp):
    """Distance between consecutive tiles of one CTA (the persistent grid size)."""

    name = "pipe.work_tile_stride"


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
    """k-tile `k_tile` starts inside K: k_tile * tile_k < K."""

    name = "pipe.k_tile_fits"

    @staticmethod
    def holds(k_tile: int, tile_k: int, k: int) -> bool:
        return k_tile * tile_k < k


@irdl_op_definition
class KTileFullOp(KTilePredicateOp):
    """k-tile `k_tile` lies entirely inside K: (k_tile + 1) * tile_k <= K."""

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
    """Consumer: convert the accumulators to c_dtype and store output tile (m, n).

    `masked` stores only the elements inside M x N (edge tiles).
    """

    name = "pipe.epilogue"

    m = operand_def(IndexType)
    n = operand_def(IndexType)
    masked = prop_def(IntegerAttr[i1])

    assembly_format = "$m `,` $n `masked` `(` $masked `)` attr-dict"

    def __init__(self, m: SSAValue, n: SSAValue, masked: bool):
        super().__init__(
            operands=[m, n],
            properties={"masked": IntegerAttr.from_bool(masked)},
        )

    def verify_(self) -> None:
        _require_role(self, CONSUMER_ROLES, "consumer")


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
        TileCoordsOp,
        KTileFitsOp,
        KTileFullOp,
        MnTileFullOp,
        AccInitOp,
        EpilogueOp,
    ],
    [PipelineType, StateType],
)
