"""pipeir: a compiler for TMA -> MMA software pipelines (see README.md).

    pipeir.compile(config)        a GemmKernel (pipeir.api)
    pipeir.matmul(a, b)           a @ b, dispatched onto cached kernels (pipeir.api)
    pipeir.ops                    the torch custom ops torch.ops.pipeir.mm / scaled_mm
    pipeir.nn                     Linear, Fp8Linear, replace_linears
"""

from pipeir.version import __version__

__all__ = ["__version__", "compile", "matmul", "nn", "ops"]


def __getattr__(name: str):
    # CuTe DSL and torch load only for users of the compile API, not for pipeir-opt.
    # The first access binds the name here, so later calls skip this hook. The custom
    # ops load with the API: pipeir.matmul calls them when torch traces it.
    if name in ("compile", "matmul", "ops"):
        import pipeir.ops as ops
        from pipeir.api import compile, matmul  # noqa: A004

        globals().update(compile=compile, matmul=matmul, ops=ops)
    elif name == "nn":
        import pipeir.nn as nn

        globals()["nn"] = nn
    else:
        raise AttributeError(f"module 'pipeir' has no attribute {name!r}")
    return globals()[name]
