"""pipeir: a compiler for TMA -> MMA software pipelines (see README.md)."""


def __getattr__(name: str):
    # CuTe DSL and torch load only for users of the compile API, not for pipeir-opt.
    if name == "compile":
        from pipeir.kernel import compile

        return compile
    raise AttributeError(f"module 'pipeir' has no attribute {name!r}")
