"""pipeir: a compiler for TMA -> MMA software pipelines (see README.md)."""

__version__ = "0.2.0"


def __getattr__(name: str):
    # CuTe DSL and torch load only for users of the compile API, not for pipeir-opt.
    if name == "compile":
        from pipeir.kernel import compile

        return compile
    if name == "matmul":
        from pipeir.runtime import matmul

        return matmul
    raise AttributeError(f"module 'pipeir' has no attribute {name!r}")
