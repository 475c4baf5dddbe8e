"""roll-producer: replace the producer's unrolled prologue and its separate
steady-state loop by ONE loop over all k-tiles whose blocking acquire fills
the ring.

Why it is sound: the prologue issues k-tile i (i < n) when i fits in K, and the
steady-state loop issues k-tile k + n for each k < k_tile_count when that
fits; together that is exactly k-tiles 0, 1, ..., k_tile_count - 1, in order,
each on the next ring position -- the sequence the rolled loop issues. The
match below checks every premise of that argument (constants 0..n-1 in order,
each guard is the fits-predicate of its own k-tile, the steady loop runs over
[0, k_tile_count) and copies k + n) and refuses anything else. Because TMA
zero-fills out-of-bounds boxes, this holds for K tails and dynamic K as well.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from xdsl.builder import ImplicitBuilder
from xdsl.context import Context
from xdsl.dialects import arith, builtin, scf
from xdsl.dialects.builtin import IndexType, IntegerAttr
from xdsl.ir import Block, BlockArgument, Operation, SSAValue
from xdsl.rewriter import InsertPoint, Rewriter
from xdsl.passes import ModulePass
from xdsl.traits import is_side_effect_free
from xdsl.transforms.dead_code_elimination import region_dce

from pipeir.dialects import pipe
from pipeir.ir import remark
from pipeir.analysis.bounds import Bounds, k_tile_count_bounds

SHARED_WARPS_REASON = (
    "not rolled: producer and consumer share these warps ('mainloop' role), so a "
    "blocking acquire of a stage the same warps have not yet released would deadlock; "
    "the unrolled prologue keeps the MMA warps running"
)


def constant_index(value: SSAValue) -> int | None:
    owner = value.owner
    if isinstance(owner, arith.ConstantOp) and isinstance(owner.value, IntegerAttr):
        return owner.value.value.data
    return None


@dataclass
class IssueBlock:
    """acquire / copies / commit / advance of one ring position."""

    state: SSAValue
    next_state: SSAValue
    k_tile: SSAValue
    copies: list[pipe.CopyOp]
    ops: list[Operation]


def match_issue_block(ops: Sequence[Operation], state: SSAValue) -> IssueBlock | None:
    """`ops` must be exactly an issue block on `state` (rank derivations allowed)."""
    if not ops or not isinstance(ops[0], pipe.AcquireOp) or ops[0].state != state:
        return None
    copies: list[pipe.CopyOp] = []
    for op in ops[1:-2]:
        if isinstance(op, pipe.CopyOp) and op.state == state:
            copies.append(op)
        elif not isinstance(op, pipe.ClusterRankOp):
            return None
    commit, advance = ops[-2:] if len(ops) >= 3 else (None, None)
    if not (
        isinstance(commit, pipe.CommitOp)
        and commit.state == state
        and isinstance(advance, pipe.AdvanceOp)
        and advance.state == state
        and copies
        and len({c.k_tile for c in copies}) == 1
    ):
        return None
    return IssueBlock(state, advance.result, copies[0].k_tile, copies, list(ops))


def match_guarded_issue(op: Operation, state: SSAValue) -> tuple[SSAValue, IssueBlock] | None:
    """`scf.if %guard -> state { issue block } else { yield state }`."""
    if not isinstance(op, scf.IfOp) or len(op.results) != 1 or not op.false_region.blocks:
        return None
    then_ops = list(op.true_region.block.ops)
    else_ops = list(op.false_region.block.ops)
    if not (len(else_ops) == 1 and list(else_ops[0].operands) == [state]):
        return None
    issue = match_issue_block(then_ops[:-1], state)
    if issue is None or list(then_ops[-1].operands) != [issue.next_state]:
        return None
    issue.next_state = op.results[0]
    return op.cond, issue


def is_fits_of(guard: SSAValue, k_tile: SSAValue) -> bool:
    return isinstance(guard.owner, pipe.KTileFitsOp) and guard.owner.k_tile == k_tile


def is_full_of(guard: SSAValue, k_tile: SSAValue) -> bool:
    return isinstance(guard.owner, pipe.KTileFullOp) and guard.owner.k_tile == k_tile


@dataclass
class UnrolledProducer:
    prologue: list[IssueBlock]
    prologue_ops: list[Operation]
    steady: scf.ForOp | None
    template: IssueBlock
    final_state: SSAValue


def match_prologue_unit(
    op: Operation, state: SSAValue, position: int, k_tiles: Bounds
) -> tuple[IssueBlock, list[Operation]] | str | None:
    """One prologue block issuing constant k-tile `position`, guarded by its own
    fits-predicate, or unguarded where k-tile `position` provably fits."""
    guarded = match_guarded_issue(op, state)
    if guarded is not None:
        guard, issue = guarded
        if constant_index(issue.k_tile) is None:
            return None
        if constant_index(issue.k_tile) != position:
            return f"prologue block {position} copies k-tile {constant_index(issue.k_tile)}"
        if not is_fits_of(guard, issue.k_tile):
            return f"prologue block {position} is guarded by something other than 'k-tile {position} fits in K'"
        return issue, [op]
    ops: list[Operation] = []
    cursor: Operation | None = op
    while cursor is not None and not isinstance(cursor, pipe.AdvanceOp):
        ops.append(cursor)
        cursor = cursor.next_op
    if cursor is None:
        return None
    ops.append(cursor)
    issue = match_issue_block(ops, state)
    if issue is None or constant_index(issue.k_tile) is None:
        return None
    if constant_index(issue.k_tile) != position:
        return f"prologue block {position} copies k-tile {constant_index(issue.k_tile)}"
    if (k_tiles.lo or 0) <= position:
        return f"unguarded prologue block {position} may copy past the last k-tile"
    return issue, ops


def match_steady_loop(op: Operation, state: SSAValue, prologue_length: int) -> IssueBlock | str | None:
    """`for k in [0, k_tile_count): if fits(k + n) [and full(k)]: issue k + n`."""
    if not isinstance(op, scf.ForOp) or list(op.iter_args) != [state]:
        return None
    if constant_index(op.lb) != 0 or constant_index(op.step) != 1:
        return "steady-state loop does not run over [0, k_tile_count) step 1"
    if not isinstance(op.ub.owner, pipe.KTileCountOp):
        return "steady-state loop does not run over [0, k_tile_count) step 1"
    body = op.body.block
    k, carried = body.args
    ops = list(body.ops)
    guarded_if, yield_op = ops[-2:] if len(ops) >= 2 else (None, None)
    if not all(is_side_effect_free(o) for o in ops[:-2]):
        return "steady-state loop has side effects besides its guarded issue block"
    guarded = match_guarded_issue(guarded_if, carried) if guarded_if else None
    if guarded is None or list(yield_op.operands) != [guarded_if.results[0]]:
        return "steady-state loop body is not one guarded issue block"
    guard, issue = guarded
    next_k = issue.k_tile.owner
    if not (
        isinstance(next_k, arith.AddiOp)
        and {next_k.lhs, next_k.rhs} & {k}
        and constant_index(next_k.rhs if next_k.lhs == k else next_k.lhs) == prologue_length
    ):
        return f"steady-state loop does not copy k-tile k + {prologue_length}"
    conjuncts = [guard]
    if isinstance(guard.owner, arith.AndIOp):
        conjuncts = [guard.owner.lhs, guard.owner.rhs]
    fits = [c for c in conjuncts if is_fits_of(c, issue.k_tile)]
    # full(k) is implied by fits(k + n) when n >= 1, so it may stand beside it.
    others_implied = all(is_fits_of(c, issue.k_tile) or is_full_of(c, k) for c in conjuncts)
    if not fits or not others_implied:
        return f"steady-state guard is not 'k-tile k + {prologue_length} fits in K'"
    issue.next_state = op.results[0]
    return issue


def same_copy_shape(a: IssueBlock, b: IssueBlock) -> bool:
    def shape(issue: IssueBlock) -> list[tuple[str, SSAValue, bool]]:
        return [(c.operand.data, c.tile, c.rank is not None, c.split) for c in issue.copies]

    return shape(a) == shape(b)


def match_unrolled_producer(block: Block, k_tiles: Bounds) -> UnrolledProducer | str | None:
    """Find the prologue + steady-state producer in `block`. Returns a reason
    string where the shape is there but a premise of the rewrite fails."""
    for start in block.ops:
        if not isinstance(start, (pipe.AcquireOp, scf.IfOp)):
            continue
        state = start.state if isinstance(start, pipe.AcquireOp) else None
        if isinstance(start, scf.IfOp):
            else_ops = list(start.false_region.block.ops) if start.false_region.blocks else []
            state = else_ops[0].operands[0] if len(else_ops) == 1 and else_ops[0].operands else None
        if state is None or not isinstance(state.type, pipe.StateType):
            continue
        prologue: list[IssueBlock] = []
        prologue_ops: list[Operation] = []
        cursor: Operation | None = start
        while cursor is not None:
            unit = match_prologue_unit(cursor, state, len(prologue), k_tiles)
            if isinstance(unit, str):
                return unit
            if unit is None:
                if is_side_effect_free(cursor) and not isinstance(cursor, scf.ForOp):
                    cursor = cursor.next_op
                    continue
                break
            issue, ops = unit
            prologue.append(issue)
            prologue_ops.extend(ops)
            state = issue.next_state
            cursor = ops[-1].next_op
        if not prologue:
            continue
        steady = match_steady_loop(cursor, state, len(prologue)) if cursor else None
        if isinstance(steady, str):
            return steady
        if steady is None and (k_tiles.hi or len(prologue) + 1) > len(prologue):
            return "prologue is not followed by a steady-state loop and K may need more k-tiles"
        template = steady if steady is not None else prologue[0]
        if not all(same_copy_shape(template, p) for p in prologue):
            return "prologue and steady-state blocks copy different operands or tiles"
        if not all(dominates(c.tile, start) and (c.split is None or dominates(c.split, start))
                   for c in template.copies):
            return "a copied tile coordinate or K split is defined after the prologue starts"
        return UnrolledProducer(
            prologue,
            prologue_ops,
            cursor if steady is not None else None,
            template,
            steady.next_state if steady is not None else state,
        )
    return None


def rolled_loop(producer: UnrolledProducer, k_tile_count: SSAValue, pipeline: SSAValue) -> list[Operation]:
    """The single producer loop, with the template's copies and rank placement."""
    start = producer.prologue[0].state
    zero = arith.ConstantOp.from_int_and_width(0, IndexType())
    one = arith.ConstantOp.from_int_and_width(1, IndexType())
    body = Block(arg_types=[IndexType(), pipe.StateType()])
    k_tile, state = body.args
    with ImplicitBuilder(body):
        pipe.AcquireOp(pipeline, state)
        for copy in producer.template.copies:
            rank = copy.rank
            if rank is not None and not dominates(rank, producer.prologue_ops[0]):
                rank = pipe.ClusterRankOp().result  # derived where used, as the input did
            pipe.CopyOp(copy.operand.data, copy.tile, k_tile, pipeline, state, rank, copy.split)
        pipe.CommitOp(pipeline, state)
        scf.YieldOp(pipe.AdvanceOp(state).result)
    return [zero, one, scf.ForOp(zero.result, k_tile_count, one.result, [start], body)]


def dominates(value: SSAValue, op: Operation) -> bool:
    """Whether `value` is available at `op` (structured control flow: defined
    earlier in an enclosing block, or an argument of one)."""
    if isinstance(value, BlockArgument):
        defining_block = value.block
    else:
        defining_block = value.owner.parent_block()
    cursor: Operation | None = op
    while cursor is not None and cursor.parent_block() is not defining_block:
        cursor = cursor.parent_op()
    if cursor is None:
        return False
    if isinstance(value, BlockArgument):
        return True
    defining = value.owner
    return defining is not cursor and defining.parent_block().get_operation_index(defining) < defining.parent_block().get_operation_index(cursor)


def is_rolled(block: Block) -> bool:
    for op in block.walk():
        if isinstance(op, scf.ForOp) and len(op.iter_args) == 1:
            body = list(op.body.block.ops)
            issue = match_issue_block(body[:-1], op.body.block.args[1])
            if issue is not None and issue.k_tile == op.body.block.args[0]:
                return True
    return False


@dataclass(frozen=True)
class RollProducerPass(ModulePass):
    """Roll the producer's unrolled prologue and steady-state loop into one loop over all k-tiles."""

    name = "roll-producer"

    report: list[str] = field(default_factory=list, init=False, repr=False, compare=False)

    def apply(self, ctx: Context, op: builtin.ModuleOp) -> None:
        for kernel in [o for o in op.walk() if isinstance(o, pipe.KernelOp)]:
            for role in kernel.roles:
                self.roll_role(kernel, role)

    def roll_role(self, kernel: pipe.KernelOp, role: pipe.RoleOp) -> None:
        kernel_name = kernel.sym_name.data
        if role.kind.data == "mainloop":
            remark(role, f"roll-producer: {SHARED_WARPS_REASON}")
            self.report.append(f"@{kernel_name}: refused: shared producer/consumer warps")
            return
        if role.kind.data != "producer":
            return
        (pipeline,) = kernel.pipelines
        k_tiles = k_tile_count_bounds(kernel)
        rolled = 0
        while (found := self.find(role, k_tiles)) is not None:
            if isinstance(found, str):
                remark(role, f"roll-producer: not rolled: {found}")
                self.report.append(f"@{kernel_name}: refused: {found}")
                return
            self.rewrite(found, pipeline.result)
            rolled += 1
        region_dce(role.body)
        if rolled:
            self.report.append(f"@{kernel_name}: rolled {rolled} producer loop(s)")
        elif is_rolled(role.body.block):
            self.report.append(f"@{kernel_name}: already rolled")
        else:
            remark(role, "roll-producer: not rolled: no unrolled prologue and steady-state loop found")
            self.report.append(f"@{kernel_name}: nothing to roll")

    @staticmethod
    def find(role: pipe.RoleOp, k_tiles: Bounds) -> UnrolledProducer | str | None:
        for op in role.walk():
            for region in op.regions:
                for block in region.blocks:
                    if (found := match_unrolled_producer(block, k_tiles)) is not None:
                        return found
        return None

    @staticmethod
    def rewrite(producer: UnrolledProducer, pipeline: SSAValue) -> None:
        first = producer.prologue_ops[0]
        if producer.steady is not None and dominates(producer.steady.ub, first):
            k_tile_count = producer.steady.ub
        else:
            count = pipe.KTileCountOp()
            Rewriter.insert_op(count, InsertPoint.before(first))
            k_tile_count = count.result
        new_ops = rolled_loop(producer, k_tile_count, pipeline)
        Rewriter.insert_op(new_ops, InsertPoint.before(producer.prologue_ops[0]))
        producer.final_state.replace_all_uses_with(new_ops[-1].results[0])
        doomed = list(producer.prologue_ops)
        if producer.steady is not None:
            doomed.append(producer.steady)
        for op in reversed(doomed):
            op.detach()
            op.erase(safe_erase=False)

    def statistics(self) -> list[str]:
        return self.report
