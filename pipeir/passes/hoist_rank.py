"""hoist-rank: derive the CTA's cluster rank once per role, before its work-tile
loop, instead of at every use inside the K loops (each derivation costs an
S2UR + IMAD pair per iteration on the GPU)."""

from __future__ import annotations

from dataclasses import dataclass, field

from xdsl.context import Context
from xdsl.dialects import builtin
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter

from pipeir.dialects import pipe


@dataclass(frozen=True)
class HoistRankPass(ModulePass):
    """Compute the cluster rank once per role, before the work-tile loop, and reuse it at every gate."""

    name = "hoist-rank"

    report: list[str] = field(default_factory=list, init=False, repr=False, compare=False)

    def apply(self, ctx: Context, op: builtin.ModuleOp) -> None:
        for role in [o for o in op.walk() if isinstance(o, pipe.RoleOp)]:
            derivations = [o for o in role.walk() if isinstance(o, pipe.ClusterRankOp)]
            if not derivations:
                continue
            block = role.body.block
            hoisted = derivations[0]
            if hoisted.parent_block() is not block or hoisted is not block.first_op:
                hoisted.detach()
                Rewriter.insert_op(hoisted, InsertPoint.at_start(block))
            for duplicate in derivations[1:]:
                duplicate.result.replace_all_uses_with(hoisted.result)
                duplicate.detach()
                duplicate.erase()
            self.report.append(
                f"role '{role.kind.data}': {len(derivations)} rank derivation(s) -> 1 before the work-tile loop"
            )

    def statistics(self) -> list[str]:
        return self.report or ["no cluster-rank derivation found"]
