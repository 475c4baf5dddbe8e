"""Lowering `pipe` IR to CuTe DSL: `lower_module(module)` returns the source of the
kernel's Python module, built by its architecture's backend (pipeir/lower/cute/)."""

from __future__ import annotations

from xdsl.dialects.builtin import ModuleOp

from pipeir.analysis.interp import kernel_of
from pipeir.ir import PipeirError, location_of


def lower_module(module: ModuleOp) -> str:
    kernel = kernel_of(module)
    arch = kernel.spec.arch
    if arch != "sm_90a":
        raise PipeirError(
            location_of(kernel),
            f"cannot lower 'pipe.kernel' @{kernel.sym_name.data}: no CuTe DSL backend for {arch} yet "
            "(sm_90a only)",
        )
    from pipeir.lower.cute.sm90.kernel import lower_kernel  # imports CuTe DSL

    return lower_kernel(kernel)
