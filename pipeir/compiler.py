"""Compile a GEMM configuration or `pipe` IR into a GemmKernel, without tuning.

The IR runs through `passes` (the headline pipeline by default), its ring protocol is
proved, it is lowered to CuTe DSL source, and compiled once with `cute.compile(...,
"--enable-tvm-ffi")` on fake tensors, or loaded from pipeir's object cache when any
process compiled it before (pipeir.runtime.objects). Tuning sits above this
(pipeir.tune, pipeir.api.compile).
"""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.dialects.builtin import ModuleOp

from pipeir.analysis.interp import kernel_of
from pipeir.analysis.protocol import verify_pipeline
from pipeir.build import gemm
from pipeir.ir import verify_located
from pipeir.lower import lower_module
from pipeir.passes import HEADLINE_PIPELINE, run_passes
from pipeir.runtime.kernel import GemmKernel
from pipeir.runtime.objects import compiled_function
from pipeir.target.spec import GemmConfig


def compile_kernel(source: ModuleOp | GemmConfig, passes: Sequence[str] = HEADLINE_PIPELINE) -> GemmKernel:
    """Build `source` (a configuration, built in the naive form, or a `pipe` module)
    through `passes` and compile it; the configuration's free fields keep the
    builder's defaults."""
    config = None
    if isinstance(source, GemmConfig):
        config = source
        module = gemm(source)
    else:
        module = source.clone()
    verify_located(module)
    run_passes(module, passes)
    verify_pipeline(module)  # a wrong ring protocol deadlocks on the GPU without a word
    text = lower_module(module)
    return GemmKernel(module, text, compiled_function(text, kernel_of(module).arch.data), config)
