"""pipeir's passes, and the xDSL passes pipeir-opt offers beside them."""

from collections.abc import Callable, Sequence

from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass, PassPipeline


def _canonicalize() -> type[ModulePass]:
    from xdsl.transforms.canonicalize import CanonicalizePass

    return CanonicalizePass


def _cse() -> type[ModulePass]:
    from xdsl.transforms.common_subexpression_elimination import (
        CommonSubexpressionElimination,
    )

    return CommonSubexpressionElimination


def _dce() -> type[ModulePass]:
    from xdsl.transforms.dead_code_elimination import DeadCodeElimination

    return DeadCodeElimination


def _fold_static_full() -> type[ModulePass]:
    from pipeir.passes.fold_static_full import FoldStaticFullPass

    return FoldStaticFullPass


def _roll_producer() -> type[ModulePass]:
    from pipeir.passes.roll_producer import RollProducerPass

    return RollProducerPass


def _hoist_rank() -> type[ModulePass]:
    from pipeir.passes.hoist_rank import HoistRankPass

    return HoistRankPass


def _place_epilogue_loads() -> type[ModulePass]:
    from pipeir.passes.place_epilogue_loads import PlaceEpilogueLoadsPass

    return PlaceEpilogueLoadsPass


def _verify_pipeline() -> type[ModulePass]:
    from pipeir.passes.verify_pipeline import VerifyPipelinePass

    return VerifyPipelinePass


PASSES: dict[str, Callable[[], type[ModulePass]]] = {
    "fold-static-full": _fold_static_full,
    "roll-producer": _roll_producer,
    "hoist-rank": _hoist_rank,
    "place-epilogue-loads": _place_epilogue_loads,
    "verify-pipeline": _verify_pipeline,
    "canonicalize": _canonicalize,
    "cse": _cse,
    "dce": _dce,
}

HEADLINE_PIPELINE = ("fold-static-full", "roll-producer", "hoist-rank", "place-epilogue-loads")
"""What `pipeir.compile` runs by default; place-epilogue-loads does nothing to a kernel whose
epilogue only stores the accumulators."""


def run_passes(module: ModuleOp, passes: Sequence[str]) -> None:
    """Apply registered passes by name (or name{option=value ...}, as pipeir-opt's -p
    takes them), in order, and verify the result."""
    from pipeir.ir import make_context, verify_located

    unknown = [name for name in passes if name.split("{", 1)[0] not in PASSES]
    if unknown:
        raise ValueError(f"unknown passes {unknown}; available: {', '.join(PASSES)}")
    PassPipeline.parse_spec(PASSES, ",".join(passes)).apply(make_context(), module)
    verify_located(module)
