"""Row slabs (GemmConfig.row_slabs, the kernel property `row_slabs`): which operands the
sm_90a mainloop loads by 8-row slabs, the target's refusals, the verifier's proof of the
form, and the compiled kernels (0 spills, a whole-tile load beside one load per power-of-two slab
box, the bytes of the slabs past the end reported to the stage barrier; nothing changed
without it)."""

from dataclasses import replace

import pytest
from kernel_stats import kernel_stats

from pipeir.analysis.protocol import verify_kernel
from pipeir.build import gemm
from pipeir.dialects import pipe
from pipeir.lower import lower_module
from pipeir.passes import HEADLINE_PIPELINE, run_passes
from pipeir.target.spec import ConfigError, GemmConfig
from pipeir.tune import heuristic_config

DECODE = GemmConfig(m=None, n=4096, k=4096, dtype="bf16", tile=(64, 32, 128), swap_ab=True, raster="n",
                    pingpong=True, row_slabs=True)
"""A decode schedule (bf16) with row slabs: a 32-token tile, M dynamic."""


def slab_operands(config: GemmConfig) -> tuple[str, ...]:
    from pipeir.lower.cute.sm90.mainloop_tma_wgmma import TmaWgmmaMainloop

    return TmaWgmmaMainloop.slab_operands_of(config)


@pytest.mark.parametrize(("config", "operands"), [
    # the token tile of a swapped kernel is the MMA's B
    (DECODE, ("b",)),
    (replace(DECODE, n=None), ("a", "b")),
    (replace(DECODE, n=4100), ("a", "b")),  # a ragged static extent runs past the end too
    (replace(DECODE, m=64), ()),  # a static multiple of the tile never does
    (replace(DECODE, row_slabs=False), ()),
    # without swap_ab, M is the MMA's A
    (GemmConfig(m=None, n=4096, k=4096, tile=(128, 64, 64), row_slabs=True), ("a",)),
    # an MN-major B is loaded whole: its swizzle atoms are 8 columns of K, not 8 rows
    (GemmConfig(m=None, n=None, k=4096, tile=(128, 64, 64), b_major="mn", row_slabs=True), ("a",)),
    # in clusters a multicast operand is loaded whole (its CTAs each issue a share of the
    # box): the narrow schedule multicasts the weights, the medium one B
    (replace(DECODE, n=None, tile=(64, 64, 128), cluster=(1, 2)), ("b",)),
    (GemmConfig(m=None, n=None, k=4096, tile=(128, 128, 64), cluster=(2, 1), row_slabs=True), ("a",)),
])
def test_the_operands_that_may_run_past_their_end_are_slabbed(config, operands) -> None:
    assert slab_operands(config) == operands


@pytest.mark.parametrize(("fields", "message"), [
    (dict(arch="sm_100a", tile=(128, 128, 64), swap_ab=False, pingpong=False), "row_slabs is not built for sm_100a"),
    (dict(row_slabs="yes"), r"row_slabs must be True, False or None \(free\), got 'yes'"),
])
def test_refusals_are_one_line(fields, message) -> None:
    with pytest.raises(ConfigError, match=message):
        replace(DECODE, **fields).validate()


def test_the_property_is_the_configurations_and_the_protocol_is_proved() -> None:
    module = gemm(DECODE)
    run_passes(module, HEADLINE_PIPELINE)
    (kernel,) = [op for op in module.walk() if isinstance(op, pipe.KernelOp)]
    assert kernel.loads_row_slabs and kernel.spec.row_slabs
    verify_kernel(kernel)
    assert "slab_operands=('b',)" in lower_module(module)
    plain = gemm(replace(DECODE, row_slabs=False))
    assert "row_slabs" not in str(plain) and "slab_operands=()" in lower_module(plain)


COMPLETE_TX = "SYNCS.ARRIVE.TRANS64.RED.A0TX"
"""The SASS of mbarrier.complete_tx: the slabs past the end reported to the stage barrier."""


@pytest.mark.parametrize(("config", "loads"), [
    # weights: 2 boxes of 64 bf16 (128 bytes) a k-tile; tokens: a tile inside M whole, the
    # edge tile in boxes of 16 and 8 rows, each of 2 boxes (128-byte TMA boxes)
    (DECODE, 2 + 3 * 2),
    # fp8 rowwise epilogue, 256-byte rows: the same boxes
    (replace(DECODE, dtype="f8e4m3", tile=(64, 32, 256), scale="rowwise", bias=True, activation="silu"), 2 + 3 * 2),
    # no swap, M dynamic: A's 128 rows whole or in boxes of 64, 32, 16, 8; B's 64-column tile whole
    (GemmConfig(m=None, n=4096, k=4096, tile=(128, 64, 64), row_slabs=True), 5 + 1),
    # the decode heuristic's tile: tokens 64 rows whole or in boxes of 32, 16, 8, each of 2 boxes
    (heuristic_config(GemmConfig(m=None, n=4096, k=4096), "decode"), 2 + 4 * 2),
    # the narrow heuristic's 1x2 cluster: the weights' multicast share whole, tokens as above
    (heuristic_config(GemmConfig(m=None, n=4096, k=4096, dtype="f8e4m3", scale="rowwise"), "narrow"), 2 + 4 * 2),
    # the medium heuristic's 2x1 cluster: A's 128 token rows whole or in boxes of 64, 32,
    # 16, 8; B's multicast share whole
    (heuristic_config(GemmConfig(m=None, n=4096, k=4096), "medium"), 5 + 1),
], ids=["decode-bf16", "decode-fp8-rowwise-bias-silu", "narrow-128x64", "decode-heuristic", "narrow-heuristic",
        "medium-heuristic"])
def test_slab_kernels_do_not_spill_and_load_by_slabs(config, loads, tmp_path) -> None:
    stats, sass = kernel_stats(config, tmp_path)
    assert stats["spills"] == 0 and stats["gmma"] > 0
    assert stats["utmaldg"] == loads
    assert sass.count(COMPLETE_TX) == 1


def test_without_row_slabs_the_tiles_load_whole(tmp_path) -> None:
    stats, sass = kernel_stats(replace(DECODE, row_slabs=False), tmp_path)
    assert stats["utmaldg"] == 2 + 2 and COMPLETE_TX not in sass


def test_row_slabs_kernels_are_tuned_apart_in_every_cluster() -> None:
    from pipeir.tune import candidates, tuning_key

    static = replace(DECODE, m=100, swap_ab=False, pingpong=None, tile=None, raster=None, stages=None)
    assert tuning_key(static, "H200") != tuning_key(replace(static, row_slabs=False), "H200")
    found = candidates(static)
    assert found and all(config.row_slabs for config in found)
    assert {(1, 1), (2, 1)} <= {config.cluster_shape for config in found}



def test_the_decode_tuner_times_pingpong_tiles_with_and_without_row_slabs() -> None:
    from pipeir.tune import bucket_candidates

    free = GemmConfig(m=None, n=4096, k=4096)
    found = [c for c in bucket_candidates(free, "decode") if c.pingpong]
    slabbed = {(c.tile_shape, c.cluster_shape, c.raster_order) for c in found if c.row_slabs}
    assert {cluster for _, cluster, _ in slabbed} == {(1, 1), (1, 2)}
    assert slabbed == {(c.tile_shape, c.cluster_shape, c.raster_order) for c in found if not c.row_slabs}
    fixed_off = bucket_candidates(replace(free, row_slabs=False), "decode")
    assert fixed_off and not any(c.row_slabs for c in fixed_off)


@pytest.mark.parametrize("tile_rows", [16, 32, 64, 128, 256])
def test_an_edge_tiles_boxes_cover_its_rows_once(tile_rows) -> None:
    """Every count of whole slabs below the tile: the boxes of slab_sizes that slab_box
    picks cover rows 0..rows-1 once each, at offsets that are multiples of their height."""
    from pipeir.lower.cute.sm90.mainloop_tma_wgmma import SLAB_ROWS, TmaWgmmaMainloop, slab_box

    config = GemmConfig(m=None, n=4096, k=4096, tile=(128, tile_rows, 64), row_slabs=True)
    mainloop = TmaWgmmaMainloop.of(config, consumer_warpgroups=2, slab_operands=("b",))
    heights = mainloop.slab_sizes("b")
    assert heights[0] == tile_rows // 2 and heights[-1] == SLAB_ROWS
    for rows in range(0, tile_rows, SLAB_ROWS):
        covered = []
        for height in heights:
            loads, box = slab_box(rows, height)
            if loads:
                covered += range(box * height, (box + 1) * height)
        assert sorted(covered) == list(range(rows)), (rows, covered)


def test_the_small_m_tuner_times_128_row_tiles_by_row_slabs() -> None:
    """A bucket is timed at one M, where a 128-row tile is mostly full and loads whole:
    its cooperative candidates take row slabs (their gain is at the other M) unless fixed."""
    from pipeir.tune import bucket_candidates

    free = GemmConfig(m=None, n=4096, k=4096)
    cooperative = [c for c in bucket_candidates(free, "medium") if not c.pingpong]
    assert cooperative and all(c.row_slabs for c in cooperative)
    assert any(c.split_k_count > 1 for c in cooperative)
    fixed_off = [c for c in bucket_candidates(replace(free, row_slabs=False), "medium") if not c.pingpong]
    assert fixed_off and not any(c.row_slabs for c in fixed_off)
    assert not any(c.row_slabs for c in bucket_candidates(replace(free, arch="sm_100a"), "medium"))
