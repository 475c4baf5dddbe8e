"""verify-pipeline: the pass form of the protocol model checker (pipeir.analysis.protocol)."""

from __future__ import annotations

from dataclasses import dataclass, field

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass

from pipeir.analysis.protocol import verify_pipeline


@dataclass(frozen=True)
class VerifyPipelinePass(ModulePass):
    """Prove each kernel's ring protocol (pairing, phases, progress, multicast ranks) by simulation."""

    name = "verify-pipeline"

    report: list[str] = field(default_factory=list, init=False, repr=False, compare=False)

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for name, simulated in verify_pipeline(op).items():
            sizes = sorted({(launch.m, launch.n, launch.k) for launch in simulated})
            self.report.append(
                f"@{name}: protocol holds on {len(simulated)} CTA launch(es) over "
                f"{len(sizes)} problem size(s)"
            )

    def statistics(self) -> list[str]:
        return self.report
