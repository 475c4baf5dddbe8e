"""fold-static-full: fold k-tile and output-tile predicates that the static
problem shape and the loop bounds decide, and drop the guards they decided."""

from __future__ import annotations

from dataclasses import dataclass, field

from xdsl.context import Context
from xdsl.dialects import arith, builtin, scf
from xdsl.dialects.builtin import IntegerAttr, i1
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    GreedyRewritePatternApplier,
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)
from xdsl.transforms.canonicalization_patterns.arith import (
    SignlessIntegerBinaryOperationConstantProp,
    SignlessIntegerBinaryOperationZeroOrUnitRight,
)
from xdsl.transforms.canonicalization_patterns.scf import IfPropagateConstantCondition

from pipeir.dialects import pipe
from pipeir.analysis.bounds import bounds


def decide_k_tile(op: pipe.KTileFitsOp | pipe.KTileFullOp) -> bool | None:
    """The predicate's value if it is the same for every k-tile the operand can hold."""
    kernel = pipe.enclosing_kernel(op)
    k, tile_k = kernel.slice_k, kernel.tile_shape[2]
    if k == pipe.DYNAMIC:
        return None
    k_tile = bounds(op.k_tile)
    # Both predicates decrease in k_tile: their values at the bounds decide them.
    if k_tile.hi is not None and op.holds(k_tile.hi, tile_k, k):
        return True
    if k_tile.lo is not None and not op.holds(k_tile.lo, tile_k, k):
        return False
    return None


def decide_mn_tile(op: pipe.MnTileFullOp) -> bool | None:
    kernel = pipe.enclosing_kernel(op)
    (m, n, _), (tm, tn, _) = kernel.problem_shape, kernel.tile_shape
    if pipe.DYNAMIC in (m, n):
        return None
    m_hi, n_hi = bounds(op.m).hi, bounds(op.n).hi
    if m_hi is not None and n_hi is not None and (m_hi + 1) * tm <= m and (n_hi + 1) * tn <= n:
        return True
    return None


@dataclass
class FoldPredicate(RewritePattern):
    folded: dict[str, int]

    @op_type_rewrite_pattern
    def match_and_rewrite(
        self, op: pipe.KTileFitsOp | pipe.KTileFullOp | pipe.MnTileFullOp, rewriter: PatternRewriter
    ) -> None:
        value = decide_mn_tile(op) if isinstance(op, pipe.MnTileFullOp) else decide_k_tile(op)
        if value is None:
            return
        self.folded[op.name] = self.folded.get(op.name, 0) + 1
        rewriter.replace(op, arith.ConstantOp(IntegerAttr(int(value), i1)))


class AndWithTrue(RewritePattern):
    """x & true -> x (xDSL folds x & false and constant pairs, not this)."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: arith.AndIOp, rewriter: PatternRewriter) -> None:
        for kept, other in ((op.lhs, op.rhs), (op.rhs, op.lhs)):
            if isinstance(other.owner, arith.ConstantOp) and other.owner.value == IntegerAttr(1, i1):
                rewriter.replace(op, (), (kept,))
                return


class RemovePassThroughLoop(RewritePattern):
    """A loop whose body only yields its carried values unchanged (all its
    guarded work folded away) is its initial values."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: scf.ForOp, rewriter: PatternRewriter) -> None:
        body = op.body.block
        if body.first_op is body.last_op and list(body.last_op.operands) == list(body.args[1:]):
            rewriter.replace(op, (), tuple(op.iter_args))


@dataclass(frozen=True)
class FoldStaticFullPass(ModulePass):
    """Fold k-tile/output-tile predicates proven constant by static shapes and loop bounds, and drop their guards."""

    name = "fold-static-full"

    folded: dict[str, int] = field(default_factory=dict, init=False, repr=False, compare=False)

    def apply(self, ctx: Context, op: builtin.ModuleOp) -> None:
        PatternRewriteWalker(
            GreedyRewritePatternApplier(
                [
                    FoldPredicate(self.folded),
                    AndWithTrue(),
                    SignlessIntegerBinaryOperationConstantProp(),
                    SignlessIntegerBinaryOperationZeroOrUnitRight(),
                    IfPropagateConstantCondition(),
                    RemovePassThroughLoop(),
                ]
            )
        ).rewrite_module(op)

    def statistics(self) -> list[str]:
        if not self.folded:
            return ["no predicate is decided by the static shape"]
        return [f"folded {count} '{name}'" for name, count in sorted(self.folded.items())]
