"""pipeir: a compiler for TMA -> MMA software pipelines (see README.md)."""

__version__ = "0.2.0"


def __getattr__(name: str):
    # CuTe DSL and torch load only for users of the compile API, not for pipeir-opt.
    # The first access binds the name here, so later calls skip this hook.
    if name == "compile":
        from pipeir.kernel import compile as value
    elif name == "matmul":
        from pipeir.runtime import matmul as value
    else:
        raise AttributeError(f"module 'pipeir' has no attribute {name!r}")
    globals()[name] = value
    return value
