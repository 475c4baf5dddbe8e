"""pipeir: a compiler for TMA -> MMA software pipelines (see README.md)."""

from pipeir.version import __version__

__all__ = ["__version__", "compile", "matmul", "scaled_mm"]


def __getattr__(name: str):
    # CuTe DSL and torch load only for users of the compile API, not for pipeir-opt.
    # The first access binds the name here, so later calls skip this hook.
    if name == "compile":
        from pipeir.api import compile as value
    elif name == "matmul":
        from pipeir.api import matmul as value
    elif name == "scaled_mm":
        from pipeir.api import scaled_mm as value
    else:
        raise AttributeError(f"module 'pipeir' has no attribute {name!r}")
    globals()[name] = value
    return value
