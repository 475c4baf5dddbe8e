"""Lowering `pipe` IR to CuTe DSL: `lower_module(module)` returns the source of the
kernel's Python module, built by its architecture's backend (pipeir/lower/cute/)."""

from __future__ import annotations

import importlib

from xdsl.dialects.builtin import ModuleOp

from pipeir.analysis.interp import kernel_of
from pipeir.ir import PipeirError, location_of

BACKENDS = {
    "sm_90a": "pipeir.lower.cute.sm90.kernel",
    "sm_100a": "pipeir.lower.cute.sm100.kernel",
}
"""Each architecture's backend module (imported on use: it imports CuTe DSL)."""


def lower_module(module: ModuleOp) -> str:
    kernel = kernel_of(module)
    arch = kernel.spec.arch
    if arch not in BACKENDS:
        raise PipeirError(
            location_of(kernel),
            f"cannot lower 'pipe.kernel' @{kernel.sym_name.data}: no CuTe DSL backend for {arch} "
            f"({', '.join(BACKENDS)} only)",
        )
    return importlib.import_module(BACKENDS[arch]).lower_kernel(kernel)
