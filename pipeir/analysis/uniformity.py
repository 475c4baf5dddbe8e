"""Tile uniformity: the rule that lets the protocol checker simulate a few work tiles
and conclude for all of them.

A role is *tile-uniform* when the work tile it is on can change nothing but the
coordinates it loads and stores:

  * work tiles are walked by the persistent loop only: every `pipe.first_work_tile`,
    `pipe.work_tile_count` and `pipe.work_tile_stride` is the lower bound, upper
    bound and step of an `scf.for` whose bounds are exactly these three (a
    work-tile loop);
  * the induction variable of a work-tile loop is used only by `pipe.tile_coords`;
  * the coordinates (m, n) are used only as the tile of a copy of A (m) or B (n),
    an epilogue's m and n, and `pipe.mn_tile_full`'s m and n;
  * `pipe.mn_tile_full` only chooses between epilogues: it is the condition of
    `scf.if`s that hold nothing but epilogues;
  * `pipe.cta_rank_in_cluster` is used only as a copy's multicast rank;
  * split-K: the work-tile loop's induction variable may also go to `pipe.k_split`,
    whose split is used only as copies' split and `pipe.split_reduce`'s; the
    coordinates may also go to `pipe.split_reduce`, whose result is only the condition
    of `scf.if`s that hold nothing but epilogues and their choices. Which unit
    completes a tile's reduction then changes only whether an epilogue runs, never a
    ring event.

Then the events of a role on its j-th work tile depend on the launch only through K,
the number of work tiles the CTA has, and j (the ring state it carries): the tile
and the rank only fill in the copies' tiles and ranks and the epilogues' tiles and
masking. So one CTA with c work tiles stands for every CTA with c work tiles, and
the persistent loop visits each cluster tile once (pipeir.target.schedule). A value
used any other way makes the check fail at the use.
"""

from __future__ import annotations

from xdsl.dialects import scf
from xdsl.ir import BlockArgument, Operation, SSAValue

from pipeir.dialects import pipe
from pipeir.ir import PipeirError, location_of

RULE = (
    "verify-pipeline proves only kernels whose work tiles differ in their coordinates "
    "alone (see docs/reliability.md, tile uniformity)"
)


LOOP_BOUND_OF = {pipe.FirstWorkTileOp: 0, pipe.WorkTileCountOp: 1, pipe.WorkTileStrideOp: 2}
"""The operand of a work-tile loop (lower bound, upper bound, step) each op must be."""


def _fail(user: Operation, what: str) -> PipeirError:
    return PipeirError(location_of(user), f"{what}: {RULE}")


def _is_work_tile_loop(op: Operation) -> bool:
    return (
        isinstance(op, scf.ForOp)
        and isinstance(op.lb.owner, pipe.FirstWorkTileOp)
        and isinstance(op.ub.owner, pipe.WorkTileCountOp)
        and isinstance(op.step.owner, pipe.WorkTileStrideOp)
    )


def _uses(value: SSAValue, what: str, allowed) -> None:
    """Every use of `value` must satisfy allowed(user, operand index)."""
    for use in value.uses:
        if not allowed(use.operation, use.index):
            raise _fail(use.operation, f"{what} is used by '{use.operation.name}'")


def _epilogue_choice(op: Operation) -> bool:
    """An scf.if without results whose branches hold only epilogues."""
    return (
        isinstance(op, scf.IfOp)
        and not op.results
        and all(
            isinstance(inner, (pipe.EpilogueOp, scf.YieldOp))
            for region in op.regions
            for inner in region.ops
        )
    )


def _reduced_epilogue(op: Operation) -> bool:
    """An scf.if without results whose branches hold only epilogues, the
    `pipe.mn_tile_full`s that choose between them and those choices."""
    return (
        isinstance(op, scf.IfOp)
        and not op.results
        and all(
            isinstance(inner, (pipe.EpilogueOp, pipe.MnTileFullOp, scf.YieldOp)) or _epilogue_choice(inner)
            for region in op.regions
            for block in region.blocks
            for inner in block.ops
        )
    )


def _is_work_tile(value: SSAValue) -> bool:
    return isinstance(value, BlockArgument) and value.index == 0 and _is_work_tile_loop(value.owner.parent_op())


def check_tile_uniform(kernel: pipe.KernelOp) -> None:
    """Raise PipeirError, located at the offending use, unless every role of `kernel`
    is tile-uniform (see the module docstring)."""
    for op in kernel.walk():
        match op:
            case pipe.FirstWorkTileOp() | pipe.WorkTileCountOp() | pipe.WorkTileStrideOp():
                for use in op.result.uses:
                    if isinstance(use.operation, scf.ForOp) and not _is_work_tile_loop(use.operation):
                        raise _fail(
                            use.operation,
                            f"'{op.name}' bounds an scf.for that is not the persistent loop "
                            "(from pipe.first_work_tile to pipe.work_tile_count step "
                            "pipe.work_tile_stride)",
                        )
                bound = LOOP_BOUND_OF[type(op)]
                _uses(
                    op.result,
                    f"'{op.name}'",
                    lambda user, index: index == bound and _is_work_tile_loop(user),
                )
            case scf.ForOp() if _is_work_tile_loop(op):
                _uses(
                    op.body.block.args[0],
                    "the work tile of the persistent loop",
                    lambda user, index: isinstance(user, (pipe.TileCoordsOp, pipe.KSplitOp)),
                )
            case pipe.KSplitOp():
                if not _is_work_tile(op.tile):
                    raise _fail(op, "'pipe.k_split' of a value other than the persistent loop's work tile")
                _uses(
                    op.result,
                    "the K split",
                    lambda user, index: (isinstance(user, pipe.CopyOp) and user.operands[index] is user.split)
                    or (isinstance(user, pipe.SplitReduceOp) and index == 2),
                )
            case pipe.SplitReduceOp():
                _uses(op.last, "'pipe.split_reduce'", lambda user, index: _reduced_epilogue(user))
            case pipe.TileCoordsOp():
                if not _is_work_tile(op.tile):
                    raise _fail(op, "'pipe.tile_coords' of a value other than the persistent loop's work tile")
                for position, (coordinate, operand) in enumerate(((op.m, "a"), (op.n, "b"))):

                    def allowed(user: Operation, index: int, operand=operand, position=position) -> bool:
                        if isinstance(user, pipe.CopyOp):
                            return index == 0 and user.operand.data == operand
                        return (isinstance(user, (pipe.EpilogueOp, pipe.MnTileFullOp, pipe.SplitReduceOp))
                                and index == position)

                    _uses(coordinate, f"tile coordinate {'mn'[position]}", allowed)
            case pipe.MnTileFullOp():
                _uses(op.result, "'pipe.mn_tile_full'", lambda user, index: _epilogue_choice(user))
            case pipe.ClusterRankOp():
                _uses(
                    op.result,
                    "'pipe.cta_rank_in_cluster'",
                    lambda user, index: isinstance(user, pipe.CopyOp) and user.operands[index] is user.rank,
                )
