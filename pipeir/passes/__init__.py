"""pipeir's passes, and the xDSL passes pipeir-opt offers beside them."""

from collections.abc import Callable

from xdsl.passes import ModulePass


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


PASSES: dict[str, Callable[[], type[ModulePass]]] = {
    "fold-static-full": _fold_static_full,
    "roll-producer": _roll_producer,
    "hoist-rank": _hoist_rank,
    "canonicalize": _canonicalize,
    "cse": _cse,
    "dce": _dce,
}
