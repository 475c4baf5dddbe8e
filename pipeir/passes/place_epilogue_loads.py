"""place-epilogue-loads: choose, for every `epi.load`, whether the epilogue holds the
operand in registers for the whole tile (`placement(tile)`: loaded once, before the
subtile loop) or loads each subtile's values after the accumulator wait
(`placement(subtile)`).

Holding is worth it only when the registers are there: a per-column vector of a
128x256 tile is 64 registers per thread on sm_90a, beside the 128 of the accumulators,
and holding it spills (the original write-up measured 409k spilled accesses and 10% of
the kernel's time for exactly that). The target states how many registers a thread
needs to hold each kind of operand and how many it has left beside the accumulators
(`GemmTarget.held_operand_registers`, `epilogue_register_budget`); the pass holds the
cheapest operands first while they fit, and loads the rest per subtile. An (M, N)
operand is always loaded per subtile. The decision is made afresh on every run, so the
pass is idempotent, and `--pass-statistics` reports each operand's placement and why.

Where the target's epilogue can (`GemmTarget.EPILOGUE_PREFETCH`), the pass also marks
every epilogue that loads an operand `prefetch`: its first reads (the values held for the
tile and subtile 0's) are issued as soon as the tile's coordinates are known, before the
K loop, instead of after the accumulator wait, where each tile would stall on them. They
take no register the epilogue did not already need at its start (the same values), only
for longer; the K loop needs fewer working registers than the epilogue. A split-K kernel
is not marked: only the split that arrives last stores its tile, so the others' reads
would be wasted. `place-epilogue-loads{prefetch=false}` leaves every epilogue unmarked
(reads after the accumulator wait), to measure the difference.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from xdsl.context import Context
from xdsl.dialects import builtin
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    GreedyRewritePatternApplier,
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)

from pipeir.dialects import epi, pipe
from pipeir.dialects.epi import Broadcast, Placement
from pipeir.target import target_for


def placements(kernel: pipe.KernelOp, loads: list[epi.LoadOp]) -> tuple[dict[str, Placement], list[str]]:
    """The placement of each operand loaded by `loads`, and one line per operand saying why."""
    spec = kernel.spec
    target = target_for(spec.arch)
    budget = target.epilogue_register_budget(spec)
    costs = {}
    for load in loads:
        costs.setdefault(load.operand_name, (load.broadcast_kind, target.held_operand_registers(spec, load.broadcast_kind)))
    chosen, reasons = {}, []
    left = budget
    for name, (broadcast, cost) in sorted(costs.items(), key=lambda item: (item[1][1] is None, item[1][1] or 0, item[0])):
        what = f"@{name} ({broadcast})"
        if broadcast == Broadcast.MN:
            chosen[name] = Placement.SUBTILE
            reasons.append(f"{what}: subtile (an (M, N) operand is never held for a tile)")
        elif budget is None or cost is None:
            chosen[name] = Placement.SUBTILE
            reasons.append(f"{what}: subtile ({spec.arch} has no register model for held operands)")
        elif cost <= left:
            chosen[name] = Placement.TILE
            left -= cost
            reasons.append(f"{what}: tile (holds {cost} register(s) per thread; {left} of {budget} left)")
        else:
            chosen[name] = Placement.SUBTILE
            reasons.append(
                f"{what}: subtile (holding it needs {cost} register(s) per thread, {left} of {budget} left)")
    return chosen, reasons


def prefetching(kernel: pipe.KernelOp, allowed: bool) -> tuple[bool, str]:
    """Whether `kernel`'s epilogues that load operands prefetch them, and why."""
    spec = kernel.spec
    if not allowed:
        return False, "reads after the accumulator wait (prefetch=false)"
    if not target_for(spec.arch).EPILOGUE_PREFETCH:
        return False, f"reads after the accumulator wait ({spec.arch}'s epilogue does not prefetch)"
    if spec.split_k_count > 1:
        return False, "reads after the accumulator wait (split-K: only the last split stores its tile)"
    return True, "prefetch (first reads before the K loop)"


@dataclass
class PlaceLoads(RewritePattern):
    report: dict[str, None]
    prefetch: bool

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: pipe.EpilogueOp, rewriter: PatternRewriter) -> None:
        if op.computation is None:
            return
        loads = [inner for inner in op.computation.ops if isinstance(inner, epi.LoadOp)]
        if not loads:
            return
        kernel = pipe.enclosing_kernel(op)
        chosen, reasons = placements(kernel, loads)
        prefetch, why = prefetching(kernel, self.prefetch)
        masked = "masked" if op.masked.value.data else "unmasked"
        for reason in [*reasons, why]:
            self.report[f"{masked} epilogue: {reason}"] = None
        for load in loads:
            placement = chosen[load.operand_name]
            if load.placement_kind != placement:
                rewriter.replace(load, epi.LoadOp(load.operand_name, load.broadcast_kind, placement))
        if op.prefetches != prefetch:
            rewriter.replace(op, pipe.EpilogueOp(
                op.m, op.n, bool(op.masked.value.data), rewriter.move_region_contents_to_new_regions(op.body),
                prefetch=prefetch))


@dataclass(frozen=True)
class PlaceEpilogueLoadsPass(ModulePass):
    """Hold epilogue operands in registers for a tile where the register budget allows,
    else load them per subtile; issue the first reads before the K loop where allowed."""

    name = "place-epilogue-loads"

    prefetch: bool = True
    """Mark epilogues `prefetch` where the target and the schedule allow."""

    report: dict[str, None] = field(default_factory=dict, init=False, repr=False, compare=False)

    def apply(self, ctx: Context, op: builtin.ModuleOp) -> None:
        PatternRewriteWalker(GreedyRewritePatternApplier([PlaceLoads(self.report, self.prefetch)])).rewrite_module(op)

    def statistics(self) -> list[str]:
        return list(self.report) or ["no epilogue loads an operand"]
