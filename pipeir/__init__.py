"""pipeir: a compiler for TMA -> MMA software pipelines (see README.md).

    pipeir.compile(config)        a GemmKernel (pipeir.api)
    pipeir.matmul(a, b)           a @ b, dispatched onto cached kernels (pipeir.api)
    pipeir.ops                    the torch custom ops torch.ops.pipeir.mm / scaled_mm
    pipeir.nn                     Linear, Fp8Linear, replace_linears
"""

from pipeir.version import __version__

__all__ = ["__version__", "compile", "matmul", "nn", "ops"]
_API = ("compile", "matmul", "scaled_mm")
"""The entry points of pipeir.api (scaled_mm where this pipeir has the fp8 scaled GEMM)."""


def __getattr__(name: str):
    # CuTe DSL and torch load only for users of the compile API, not for pipeir-opt.
    # The first access binds the name here, so later calls skip this hook. The custom
    # ops load with the API: pipeir.matmul calls them when torch traces it.
    if name in (*_API, "ops"):
        import pipeir.api as api
        import pipeir.ops as ops

        globals().update({entry: getattr(api, entry) for entry in _API if hasattr(api, entry)}, ops=ops)
        if name not in globals():
            raise AttributeError(f"module 'pipeir' has no attribute {name!r}")
    elif name == "nn":
        import pipeir.nn as nn

        globals()["nn"] = nn
    else:
        raise AttributeError(f"module 'pipeir' has no attribute {name!r}")
    return globals()[name]
