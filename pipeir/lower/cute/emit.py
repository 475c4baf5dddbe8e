"""Lower verified `pipe` IR to a CuTe DSL (Python) module.

The walk is target-free: it turns the IR's control flow into Python `for`/`if`
statements (so the generated source shows the IR's shape: the naive prologue as
`stages` guarded blocks, the rolled producer as one loop), names values, maps the
`!pipe.state` chains onto CuTe `PipelineState` variables, and turns every `pipe` op
into one call of the collective that owns it (pipeir.lower.cute.collectives). The
target (pipeir/lower/cute/sm90/, sm100/) supplies the collectives and the kernel's wiring.
An op without a rule, or in a place its rule cannot build, is refused with a located
error naming the op and the loop it sits in.

State chains. A role may keep several positions in the ring at once (the consumer's
read and release positions when it keeps a WGMMA batch in flight). Each `!pipe.state`
value lives in a Python variable holding a `PipelineState`; `pipe.advance` advances
that variable in place when nothing reads the old position afterwards, and advances a
clone otherwise. Loop-carried and `scf.if`-yielded states stay in the variable of
their block argument or result (an assignment is emitted where a branch or an
iteration ends in another variable).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from xdsl.dialects import arith, builtin, scf
from xdsl.dialects.builtin import IntegerAttr
from xdsl.ir import Block, Operation, SSAValue

from pipeir.dialects import epi, pipe
from pipeir.ir import PipeirError, location_of

INDENT = "    "
BINARY_OPERATORS = {
    arith.AddiOp: "+",
    arith.SubiOp: "-",
    arith.MuliOp: "*",
    arith.AndIOp: "and",
    arith.OrIOp: "or",
    arith.XOrIOp: "!=",
}
COMPARISONS = {0: "==", 1: "!=", 2: "<", 3: "<=", 4: ">", 5: ">=", 6: "<", 7: "<=", 8: ">", 9: ">="}
"""arith.cmpi predicates (eq, ne, slt, sle, sgt, sge, ult, ule, ugt, uge): index values
are never negative, so signed and unsigned order agree."""
ROLE_ARGUMENTS = ("mainloop", "epilogue", "scheduler")
ACCUMULATE = "accumulate"
"""The consumer's flag: whether its next mma adds to the accumulators (see acc_init)."""


def lowering_error(op: Operation, message: str) -> PipeirError:
    loop = op.parent_op()
    while loop is not None and not isinstance(loop, scf.ForOp):
        loop = loop.parent_op()
    where = f" (in the scf.for at {location_of(loop)})" if loop is not None else ""
    return PipeirError(location_of(op), f"cannot lower '{op.name}'{where}: {message}")


def warpgroup_prefix(op: pipe.WorkTileScheduleOp) -> str:
    """The scheduler method's prefix of a work-tile op: `warpgroup_` for a pingpong
    warpgroup's share of the CTA's tiles."""
    return "warpgroup_" if op.per_warpgroup else ""


def op_order(role: pipe.RoleOp) -> dict[Operation, int]:
    """Position of each op of the role in program (pre-order walk) order."""
    return {op: index for index, op in enumerate(role.walk())}


def ops_between(block: Block, op: Operation) -> list[Operation]:
    """The ops enclosing `op` below `block` (innermost first)."""
    between = []
    current = op.parent_block()
    while current is not None and current is not block:
        parent = current.parent_op()
        if parent is None:
            break
        between.append(parent)
        current = parent.parent_block()
    return between


def in_other_branch(a: Operation, b: Operation) -> bool:
    """Whether `a` and `b` sit in different regions of one `scf.if` (never both run)."""
    regions_of_b = {}
    current: Operation | None = b
    while current is not None:
        region = current.parent_region()
        parent = current.parent_op()
        if isinstance(parent, scf.IfOp):
            regions_of_b[parent] = region
        current = parent
    current = a
    while current is not None:
        region = current.parent_region()
        parent = current.parent_op()
        if parent in regions_of_b:
            return regions_of_b[parent] is not region
        current = parent
    return False


@dataclass
class RoleEmitter:
    """The statements of one role's function."""

    role: pipe.RoleOp
    lines: list[str] = field(default_factory=list)
    names: dict[SSAValue, str] = field(default_factory=dict)
    used_names: set[str] = field(default_factory=lambda: {*ROLE_ARGUMENTS, ACCUMULATE})
    masks: dict[tuple[SSAValue, str], str] = field(default_factory=dict)
    order: dict[Operation, int] = field(default_factory=dict)
    epilogue_functions: dict[str, str] = field(default_factory=dict)
    """Source of each generated epilogue body -> its function name (one per distinct body)."""
    prefetched: dict[Operation, str] = field(default_factory=dict)
    """Each prefetching `pipe.epilogue` -> the variable of its prefetched reads."""

    def __post_init__(self) -> None:
        self.order = op_order(self.role)
        self.rules: dict[type[Operation], Callable[[Operation, int], None]] = {
            pipe.InitStateOp: self.init_state,
            pipe.AdvanceOp: self.advance,
            pipe.AcquireOp: self.ring_call("acquire"),
            pipe.CommitOp: self.ring_call("commit"),
            pipe.ProducerTailOp: self.ring_call("producer_tail"),
            pipe.WaitOp: self.ring_call("wait"),
            pipe.MmaOp: self.mma,
            pipe.ReleaseOp: self.ring_call("release"),
            pipe.CopyOp: self.copy,
            pipe.MmaWaitOp: lambda op, depth: self.statement(depth, f"mainloop.mma_wait({op.pending_count})"),
            pipe.AccInitOp: lambda op, depth: self.statement(depth, f"{ACCUMULATE} = mainloop.acc_init()"),
            pipe.KTileCountOp: self.binding("k_tile_count", lambda op: "mainloop.k_tile_count()"),
            pipe.KTileFitsOp: self.binding("k_tile_fits", lambda op: f"mainloop.k_tile_fits({self.expr(op.k_tile)})"),
            pipe.KTileFullOp: self.binding("k_tile_full", lambda op: f"mainloop.k_tile_full({self.expr(op.k_tile)})"),
            pipe.ClusterRankOp: self.cluster_rank,
            pipe.FirstWorkTileOp: self.binding("first_tile", lambda op: f"scheduler.{warpgroup_prefix(op)}first_work_tile()"),
            pipe.WorkTileCountOp: self.binding("tile_count", lambda op: "scheduler.work_tile_count()"),
            pipe.WorkTileStrideOp: self.binding(
                "tile_stride", lambda op: f"scheduler.{warpgroup_prefix(op)}work_tile_stride()"),
            pipe.ConsumerWarpgroupOp: self.binding("warpgroup", lambda op: "scheduler.consumer_warpgroup()"),
            pipe.OrderWaitOp: lambda op, depth: self.statement(depth, f"scheduler.order_wait({str(op.phase_kind)!r})"),
            pipe.OrderSignalOp: lambda op, depth: self.statement(
                depth, f"scheduler.order_signal({str(op.phase_kind)!r}, epilogue)"),
            pipe.TileCoordsOp: self.tile_coords,
            pipe.KSplitOp: self.binding("split", lambda op: f"scheduler.k_split({self.expr(op.tile)})"),
            pipe.SplitReduceOp: self.binding(
                "reduced", lambda op: f"scheduler.split_reduce(mainloop.accumulators, {self.expr(op.m)}, "
                                      f"{self.expr(op.n)}, {self.expr(op.split)})"),
            pipe.MnTileFullOp: self.binding(
                "tile_full", lambda op: f"epilogue.tile_is_full({self.expr(op.m)}, {self.expr(op.n)})"),
            pipe.EpilogueOp: self.epilogue,
            arith.ConstantOp: self.inline,
            arith.AddiOp: self.inline,
            arith.SubiOp: self.inline,
            arith.MuliOp: self.inline,
            arith.AndIOp: self.binding("guard", lambda op: self.expr(op.result)),
            arith.OrIOp: self.binding("guard", lambda op: self.expr(op.result)),
            arith.XOrIOp: self.binding("guard", lambda op: self.expr(op.result)),
            arith.CmpiOp: self.binding("guard", lambda op: self.expr(op.result)),
            scf.ForOp: self.for_loop,
            scf.IfOp: self.if_else,
            scf.YieldOp: self.yield_states,
        }

    # -- names and expressions ---------------------------------------------------------
    def fresh(self, base: str) -> str:
        name, suffix = base, 1
        while name in self.used_names:
            suffix += 1
            name = f"{base}_{suffix}"
        self.used_names.add(name)
        return name

    def statement(self, depth: int, text: str) -> None:
        self.lines.append(INDENT * depth + text)

    def bind(self, value: SSAValue, base: str, expression: str, depth: int) -> str:
        name = self.fresh(base)
        self.statement(depth, f"{name} = {expression}")
        self.names[value] = name
        return name

    def binding(self, base: str, expression: Callable[[Operation], str]) -> Callable[[Operation, int], None]:
        return lambda op, depth: self.bind(op.results[0], base, expression(op), depth)

    def expr(self, value: SSAValue) -> str:
        if value in self.names:
            return self.names[value]
        op = value.owner
        if isinstance(op, arith.ConstantOp) and isinstance(op.value, IntegerAttr):
            data = op.value.value.data
            return str(bool(data)) if op.value.type == builtin.i1 else str(data)
        if type(op) in BINARY_OPERATORS:
            return f"({self.expr(op.lhs)} {BINARY_OPERATORS[type(op)]} {self.expr(op.rhs)})"
        if isinstance(op, arith.CmpiOp):
            return f"({self.expr(op.lhs)} {COMPARISONS[op.predicate.value.data]} {self.expr(op.rhs)})"
        raise lowering_error(op if isinstance(op, Operation) else self.role, "its value has no CuTe DSL form")

    def inline(self, op: Operation, depth: int) -> None:
        """Constants and index arithmetic print inline where they are used."""

    # -- statements ------------------------------------------------------------------------
    def block(self, block: Block, depth: int) -> None:
        start = len(self.lines)
        for op in block.ops:
            rule = self.rules.get(type(op))
            if rule is None:
                raise lowering_error(op, f"no CuTe DSL lowering rule for this op in a '{self.role.kind.data}' role")
            rule(op, depth)
        if len(self.lines) == start:
            self.statement(depth, "pass")

    def ring_call(self, method: str) -> Callable[[Operation, int], None]:
        return lambda op, depth: self.statement(depth, f"mainloop.{method}({self.state(op, op.state)})")

    def mma(self, op: pipe.MmaOp, depth: int) -> None:
        # The accumulate flag is a variable of the role function, so CuTe DSL carries it
        # through the loops and branches around the mma like any other value.
        if not any(isinstance(other, pipe.AccInitOp) for other in self.role.walk()):
            raise lowering_error(op, "its role has no acc_init to start its accumulators")
        self.statement(depth, f"{ACCUMULATE} = mainloop.mma({self.state(op, op.state)}, {ACCUMULATE})")

    def state(self, op: Operation, value: SSAValue) -> str:
        if value not in self.names:
            raise lowering_error(op, "its pipeline state does not come from this role's init_state")
        return self.names[value]

    def init_state(self, op: pipe.InitStateOp, depth: int) -> None:
        self.bind(op.result, f"{self.role.kind.data}_state",
                  f"mainloop.init_state({op.index.value.data}, {op.phase.value.data})", depth)

    def read_after(self, value: SSAValue, op: Operation) -> bool:
        """Whether `value` may be read after `op` ran: a later use (not one in the
        other branch of an `scf.if` holding `op`), or a loop between `value`'s
        definition and `op` (that runs `op` again on the same value)."""
        home = value.owner if isinstance(value.owner, Block) else value.owner.parent_block()
        if any(isinstance(parent, scf.ForOp) for parent in ops_between(home, op)):
            return True
        return any(
            use.operation is not op
            and self.order[use.operation] > self.order[op]
            and not in_other_branch(use.operation, op)
            for use in value.uses
        )

    def advance(self, op: pipe.AdvanceOp, depth: int) -> None:
        current = self.state(op, op.state)
        count = "" if op.count is None else self.expr(op.count)
        if self.read_after(op.state, op):
            name = self.fresh(current)
            self.statement(depth, f"{name} = {current}.clone()")
            self.statement(depth, f"{name}.advance({count})")
            self.names[op.result] = name
        else:
            self.statement(depth, f"{current}.advance({count})")
            self.names[op.result] = current

    def cluster_rank(self, op: pipe.ClusterRankOp, depth: int) -> None:
        rank = self.bind(op.result, "cta_rank", "mainloop.cluster_rank()", depth)
        operands = sorted({use.operation.operand.data for use in op.result.uses if isinstance(use.operation, pipe.CopyOp)})
        for operand in operands:
            mask = self.fresh(f"{operand}_mcast_mask")
            self.statement(depth, f"{mask} = mainloop.mcast_mask({operand!r}, {rank})")
            self.masks[op.result, operand] = mask

    def copy(self, op: pipe.CopyOp, depth: int) -> None:
        operand = op.operand.data
        mask = "0" if op.rank is None else self.masks.get((op.rank, operand))
        if mask is None:
            raise lowering_error(op, "its rank operand must be a 'pipe.cta_rank_in_cluster' of this role")
        split = "" if op.split is None else f", {self.expr(op.split)}"
        self.statement(
            depth,
            f"mainloop.copy({operand!r}, {self.expr(op.tile)}, {self.expr(op.k_tile)}, "
            f"{self.state(op, op.state)}, {mask}{split})",
        )

    def tile_coords(self, op: pipe.TileCoordsOp, depth: int) -> None:
        m, n = self.fresh("m_tile"), self.fresh("n_tile")
        self.statement(depth, f"{m}, {n} = scheduler.tile_coords({self.expr(op.tile)})")
        self.names[op.m], self.names[op.n] = m, n
        self.prefetch(op, depth)

    def prefetch(self, op: pipe.TileCoordsOp, depth: int) -> None:
        """The first operand reads of the epilogues of tile (op.m, op.n) that prefetch
        (`pipe.epilogue ... prefetch`), issued here, before the tile's K loop: one set for
        all of them (an edge tile's masked epilogue and its unmasked twin read the same
        operands), clamped into M x N if any of them is masked."""
        epilogues = [use.operation for use in op.m.uses
                     if isinstance(use.operation, pipe.EpilogueOp) and use.operation.prefetches]
        if not epilogues:
            return
        loads = {epilogue_body(epilogue)[1] for epilogue in epilogues}
        if len(loads) > 1:
            raise lowering_error(epilogues[0], "the prefetching epilogues of one tile must load the same operands "
                                               "with the same placements")
        masked = any(epilogue.masked.value.data for epilogue in epilogues)
        name = self.fresh("prefetched")
        self.statement(
            depth, f"{name} = epilogue.first_reads({self.names[op.m]}, {self.names[op.n]}, {loads.pop()!r}, "
                   f"masked={masked})")
        for epilogue in epilogues:
            self.prefetched[epilogue] = name

    def epilogue(self, op: pipe.EpilogueOp, depth: int) -> None:
        # The TMA store clips whatever lies outside M x N: masked and unmasked tiles
        # are the same store (the IR's choice between them stays visible as its `if`).
        tile = f"{self.expr(op.m)}, {self.expr(op.n)}"
        if op.computation is None:
            self.statement(depth, f"epilogue.store({tile})")
            return
        body, loads = epilogue_body(op)
        name = self.epilogue_functions.get(body)
        if name is None:
            name = self.epilogue_functions[body] = f"epilogue_values_{len(self.epilogue_functions)}"
        masked = bool(op.masked.value.data)
        prefetched = f", prefetched={self.prefetched[op]}" if op.prefetches else ""
        self.statement(depth, f"epilogue.store({tile}, {name}, {loads!r}, masked={masked}{prefetched})")

    # -- control flow -----------------------------------------------------------------------
    def carried(self, op: Operation, inits, args, depth: int) -> None:
        """Give each carried state's block argument its init's variable (a clone when
        the init is read again after `op`)."""
        for init, arg in zip(inits, args, strict=True):
            if not isinstance(init.type, pipe.StateType):
                raise lowering_error(op, "only pipeline states may be carried through loops and ifs")
            name = self.state(op, init)
            if self.read_after(init, op):
                copy = self.fresh(name)
                self.statement(depth, f"{copy} = {name}.clone()")
                name = copy
            self.names[arg] = name

    def for_loop(self, op: scf.ForOp, depth: int) -> None:
        body = op.body.block
        self.carried(op, op.iter_args, body.args[1:], depth)
        iv = self.fresh("tile" if isinstance(op.lb.owner, pipe.FirstWorkTileOp) else "k_tile")
        self.names[body.args[0]] = iv
        self.statement(
            depth,
            f"for {iv} in cutlass.range({self.expr(op.lb)}, {self.expr(op.ub)}, {self.expr(op.step)}, unroll=1):",
        )
        self.block(body, depth + 1)
        for result, arg in zip(op.results, body.args[1:], strict=True):
            self.names[result] = self.names[arg]

    def if_else(self, op: scf.IfOp, depth: int) -> None:
        for result in op.results:
            if not isinstance(result.type, pipe.StateType):
                raise lowering_error(op, "only pipeline states may be carried through loops and ifs")
        self.statement(depth, f"if {self.expr(op.cond)}:")
        self.block(op.true_region.block, depth + 1)
        then_yield = op.true_region.block.last_op
        targets = [self.state(op, value) for value in then_yield.operands] if then_yield else []
        if op.false_region.blocks:
            else_block = op.false_region.block
            start = len(self.lines)
            self.statement(depth, "else:")
            self.block(else_block, depth + 1)
            assignments = [
                f"{target} = {self.state(op, value)}"
                for target, value in zip(targets, else_block.last_op.operands, strict=True)
                if self.state(op, value) != target
            ]
            if self.lines[start + 1:] == [INDENT * (depth + 1) + "pass"]:
                del self.lines[start + (1 if assignments else 0):]  # an else that only passes its states on
            for assignment in assignments:
                self.statement(depth + 1, assignment)
        for result, target in zip(op.results, targets, strict=True):
            self.names[result] = target

    def yield_states(self, op: scf.YieldOp, depth: int) -> None:
        """A loop iteration ends with each carried state in its block argument's variable."""
        parent = op.parent_op()
        if not isinstance(parent, scf.ForOp):
            return  # an scf.if's yields are matched by if_else
        for value, arg in zip(op.operands, parent.body.block.args[1:], strict=True):
            if self.state(op, value) != self.names[arg]:
                self.statement(depth, f"{self.names[arg]} = {self.state(op, value)}")

    def lower(self) -> list[str]:
        self.block(self.role.body.block, 1)
        return self.lines


EPILOGUE_OPERATORS = {epi.MulOp: "*", epi.AddOp: "+"}


def epilogue_body(op: pipe.EpilogueOp) -> tuple[str, tuple[tuple[str, str], ...]]:
    """The body of `op`'s region as a Python function `def {name}(acc, *loaded)` over
    one subtile's f32 values (its name left as `{name}`, to be replaced), and the (operand, placement)
    of each `epi.load`, in the order of the function's parameters."""
    names: dict[SSAValue, str] = {}
    parameters = ["acc"]
    loads = []
    lines = []
    for inner in op.computation.ops:
        match inner:
            case epi.AccOp():
                names[inner.result] = "acc"
            case epi.LoadOp():
                parameter = f"{inner.operand_name}_{len(loads)}"
                parameters.append(parameter)
                loads.append((inner.operand_name, str(inner.placement_kind)))
                names[inner.result] = parameter
            case epi.ConstantOp():
                names[inner.result] = repr(inner.number)
            case epi.MulOp() | epi.AddOp():
                names[inner.result] = f"v{len(lines)}"
                operator = EPILOGUE_OPERATORS[type(inner)]
                lines.append(f"    v{len(lines)} = {names[inner.lhs]} {operator} {names[inner.rhs]}")
            case epi.ActivationOp():
                names[inner.result] = f"v{len(lines)}"
                lines.append(f"    v{len(lines)} = epilogue_math.{inner.kind.data}({names[inner.input]})")
            case epi.SwigluOp():  # the epilogue collective orders the values in pairs (`gated`)
                names[inner.result] = f"v{len(lines)}"
                lines.append(f"    v{len(lines)} = epilogue_math.swiglu({names[inner.input]})")
            case epi.YieldOp():
                lines.append(f"    return {names[inner.value[0]]}")
            case _:
                raise lowering_error(inner, "no CuTe DSL lowering rule for this epilogue op on this target")
    header = [
        f"def {{name}}({', '.join(parameters)}):",
        '    """A `pipe.epilogue` region: the f32 values it stores, from one subtile\'s."""',
    ]
    return "\n".join(header + lines), tuple(loads)
