"""The CuTe DSL lowering: readable source whose shape follows the IR."""

import re

import pytest

from pipeir.build import gemm
from pipeir.target.spec import GemmConfig
from pipeir.passes import run_passes
from pipeir.ir import PipeirError
from pipeir.lower.emit import lower_module

STATIC = GemmConfig(m=4096, n=4096, k=4096, dtype="bf16", stages=4, cluster=(2, 1))


def producer_body(source: str) -> str:
    start = source.index("# ---- producer_body (generated) ----")
    return source[start : source.index("# ---- end producer_body ----")]


def lowered(config: GemmConfig, passes=()) -> str:
    module = gemm(config)
    run_passes(module, passes)
    return lower_module(module)


def test_naive_form_lowers_unrolled() -> None:
    body = producer_body(lowered(STATIC))
    assert body.count("ab_pipeline.producer_acquire(producer_state)") == STATIC.stage_count + 1
    assert body.count("cute.copy(tma_atom_b") == STATIC.stage_count + 1
    assert body.count("make_warp_uniform(cute.arch.block_idx_in_cluster())") == STATIC.stage_count + 1


def test_rolled_form_is_one_visible_loop() -> None:
    source = lowered(STATIC, ("fold-static-full", "roll-producer", "hoist-rank"))
    body = producer_body(source)
    loop = re.compile(
        r"for (k_tile\w*) in cutlass\.range\(0, k_tile_count, 1, unroll=1\):\n"
        r"\s+ab_pipeline\.producer_acquire\(producer_state\)\n"
        r"\s+cute\.copy\(tma_atom_a, tAgA\[\(None, \1\)\].*\n"
        r"\s+cute\.copy\(tma_atom_b, tBgB\[\(None, \1\)\].*mcast_mask=b_mcast_mask\)\n"
        r"\s+ab_pipeline\.producer_commit\(producer_state\)\n"
        r"\s+producer_state\.advance\(\)\n"
    )
    assert loop.search(body), body
    assert body.count("cute.copy(") == 2
    assert "make_warp_uniform" not in body
    assert "k_tile_full" not in source.split("# ---- consumer_body (generated) ----")[1].split("# ---- end")[0]


def test_shared_warp_kernels_are_refused() -> None:
    with pytest.raises(PipeirError, match="share warps"):
        lowered(GemmConfig(m=256, n=256, k=256, warp_specialize=False))


def test_blackwell_is_refused_clearly() -> None:
    with pytest.raises(PipeirError, match="sm_100a is not implemented"):
        lowered(GemmConfig(m=256, n=256, k=256, arch="sm_100a"))


@pytest.mark.parametrize("raster, along_m", [(None, True), ("m", True), ("n", False)])
def test_raster_order_reaches_the_tile_scheduler(raster, along_m) -> None:
    from dataclasses import replace

    source = lowered(replace(STATIC, raster=raster))
    assert f"RASTER_ALONG_M = {along_m}\n" in source
    assert "SWIZZLE_SIZE, RASTER_ALONG_M," in source
