"""Split-K on the CPU: the configuration's rules, the IR's semantics (every k-tile of
every output tile multiplied by exactly one work unit, one unit completing each tile's
reduction), the protocol verifier's proof and its refusal of a unit that loads another
split's slice, the dispatch heuristic, and the runtime's workspace sizes."""

from dataclasses import replace

import pytest
from xdsl.dialects import arith
from xdsl.dialects.builtin import IndexType

from pipeir import tune as tuner
from pipeir.analysis.interp import trace_kernel
from pipeir.analysis.protocol import verify_pipeline
from pipeir.build import gemm
from pipeir.dialects import pipe
from pipeir.ir import PipeirError
from pipeir.passes import HEADLINE_PIPELINE, run_passes
from pipeir.target import schedule
from pipeir.target.spec import ConfigError, GemmConfig


@pytest.mark.parametrize("fields, message", [
    (dict(split_k=0), "split_k must be an integer in 1..16, got 0"),
    (dict(split_k=17), "split_k must be an integer in 1..16, got 17"),
    (dict(k=128, split_k=3), r"split_k 3 exceeds the 2 k-tile\(s\) of K = 128"),
    (dict(split_k=2, arch="sm_100a", tile=(128, 128, 64)), "split_k is not built for sm_100a"),
    (dict(split_k=2, warp_specialize=False), "split_k needs warp specialization"),
])
def test_refused_split_k(fields, message) -> None:
    config = GemmConfig(**{"m": 64, "n": 256, "k": 4096, "tile": (128, 64, 64), **fields})
    with pytest.raises(ConfigError, match=message):
        config.validate()


def products(config: GemmConfig, grid: int):
    """{(output tile, k-tile): count} over every CTA of a launch of `grid` CTAs (one
    cluster of 1x1 each), the split_reduce events by tile, and the epilogued tiles."""
    module = gemm(config)
    run_passes(module, HEADLINE_PIPELINE)
    kernel = next(op for op in module.walk() if isinstance(op, pipe.KernelOp))
    rows, columns, k = kernel.problem_shape
    slice_k_tiles = schedule.slice_k_tiles(pipe.ceil_div(k, config.tile_shape[2]), config.split_k_count)
    multiplied, reduced, stored = {}, {}, []
    for cta in range(grid):
        trace = trace_kernel(module, grid=grid, cta=cta)
        for event in trace["producer"]:
            if event.kind == "copy" and event.operand == "a":
                key = (event.tile, event.split * slice_k_tiles + event.k_tile)
                multiplied[key] = multiplied.get(key, 0) + 1
        for event in trace["consumer"]:
            if event.kind == "split_reduce":
                reduced.setdefault(event.tile, []).append(event.split)
            elif event.kind == "epilogue":
                stored.append(event.tile)
    return multiplied, reduced, stored, (rows, columns, k)


@pytest.mark.parametrize("splits, k", [(3, 4096), (4, 200), (2, 64 * 7)])
def test_every_k_tile_is_multiplied_once_and_every_tile_reduced_once(splits, k) -> None:
    config = GemmConfig(m=16, n=300, k=k, tile=(128, 64, 64), swap_ab=True, split_k=splits, stages=4)
    multiplied, reduced, stored, (rows, columns, _) = products(config, grid=5)
    tiles = [(m, n) for m in range(pipe.ceil_div(rows, 128)) for n in range(pipe.ceil_div(columns, 64))]
    k_tiles = pipe.ceil_div(k, 64)
    inside_k = {key: count for key, count in multiplied.items() if key[1] < k_tiles}
    assert inside_k == {(tile, k_tile): 1 for tile in tiles for k_tile in range(k_tiles)}
    assert {tile: sorted(splits_) for tile, splits_ in reduced.items()} == {tile: list(range(splits)) for tile in tiles}
    assert sorted(stored) == sorted(tiles)  # one epilogue per tile: the unit that completes it


@pytest.mark.parametrize("extra", [dict(), dict(swap_ab=True, cluster=(2, 1)), dict(k=None, cluster=(1, 2)),
                                   dict(m=None, n=None, dtype="f8e4m3", tile=(128, 64, 128), scale="rowwise",
                                        bias=True)])
def test_split_k_kernels_are_proved_through_the_headline_passes(extra) -> None:
    config = GemmConfig(**{"m": 8, "n": 512, "k": 4096, "tile": (128, 64, 64), "split_k": 4, **extra})
    module = gemm(config)
    verify_pipeline(module)
    run_passes(module, HEADLINE_PIPELINE)
    verify_pipeline(module)


def test_verifier_refuses_a_unit_loading_another_split() -> None:
    """A producer whose B copies load split 0's slice whatever its unit: the mma of a
    unit of split 1 multiplies the wrong slice."""
    module = gemm(GemmConfig(m=8, n=512, k=4096, tile=(128, 64, 64), split_k=2, stages=4))
    run_passes(module, HEADLINE_PIPELINE)
    copy = next(op for op in module.walk() if isinstance(op, pipe.CopyOp) and op.operand.data == "b")
    zero = arith.ConstantOp.from_int_and_width(0, IndexType())
    zero_copy = pipe.CopyOp("b", copy.tile, copy.k_tile, copy.pipeline, copy.state, copy.rank, zero.result)
    block = copy.parent_block()
    block.insert_op_before(zero, copy)
    block.insert_op_before(zero_copy, copy)
    copy.detach()
    copy.erase()
    with pytest.raises(PipeirError, match="different K splits|reads a fill of K split 0, but the unit is split 1"):
        verify_pipeline(module)


def test_the_heuristic_splits_only_long_k_over_few_weight_tiles() -> None:
    """Split 2 measured faster only where the weights' tiles leave most SMs idle and the
    K loop is long (heuristic_config's docstring): among the decode benchmark's shapes,
    4096x14336 in the decode class, under the cooperative schedule, and in the medium class
    in bf16 (24 KiB weight rows or more, medium_split_pays) where the schedule is free. The
    pingpong decode schedule (the default where it is built) is not split."""
    for n, k in ((4096, 4096), (4096, 14336), (8192, 8192), (14336, 4096)):
        for name in ("decode", "narrow", "medium", "wide", "large"):
            expected = 2 if (n, k, name) == (4096, 14336, "decode") else None
            for dtype in ("bf16", "f8e4m3"):
                cooperative = GemmConfig(m=None, n=n, k=k, dtype=dtype, pingpong=False)
                assert tuner.heuristic_config(cooperative, name).split_k == expected
                free = tuner.heuristic_config(replace(cooperative, pingpong=None), name).split_k
                assert free == (2 if (n, k, name, dtype) == (4096, 14336, "medium", "bf16") else None)
    fixed = tuner.heuristic_config(GemmConfig(m=None, n=4096, k=4096, split_k=3), "decode")
    assert fixed.split_k == 3
    assert tuner.heuristic_config(GemmConfig(m=None, n=None, k=None), "decode").split_k is None
    assert tuner.heuristic_config(GemmConfig(m=None, n=4096, k=14336, arch="sm_100a"), "decode").split_k is None


def test_bucket_candidates_include_split_k() -> None:
    found = tuner.bucket_candidates(GemmConfig(m=None, n=4096, k=4096), "decode")
    assert {c.split_k_count for c in found} == {1, *tuner.SPLIT_K_CANDIDATES}
    assert all(c.cluster_shape == (1, 1) for c in found if c.split_k_count > 1)


def test_workspace_covers_every_slot() -> None:
    """The slots of every output tile a cluster tile holds (overhanging ones too) are
    distinct and within the sizes the runtime allocates."""
    tiles_m, tiles_n, cluster = 3, 5, (2, 2)
    along_m, along_n = schedule.cluster_tiles(tiles_m, tiles_n, *cluster)
    slots = {schedule.output_tile_slot(m, n, tiles_m, cluster[0])
             for m in range(along_m * cluster[0]) for n in range(along_n * cluster[1])}
    assert slots == set(range(schedule.output_tile_slots(tiles_m, tiles_n, *cluster)))
    assert schedule.split_k_workspace_elements((128, 64, 64), cluster, 3, tiles_m, tiles_n) == len(slots) * 3 * 128 * 64


@pytest.mark.parametrize("tiles_m, tiles_n, cluster", [(1, 1, (1, 1)), (1, 7, (1, 1)), (3, 5, (2, 1)), (2, 9, (1, 2))])
def test_split_k_buffers_have_the_lengths_the_compiled_signature_assumes(tiles_m, tiles_n, cluster):
    """TVM-FFI refuses a workspace or tickets buffer whose length is not a multiple of
    SPLIT_K_BUFFER_MULTIPLE (the first GPU run of split-K failed so at 1x7 tiles)."""
    tickets = schedule.split_k_ticket_count(tiles_m, tiles_n, *cluster)
    assert tickets % schedule.SPLIT_K_BUFFER_MULTIPLE == 0
    assert tickets >= schedule.output_tile_slots(tiles_m, tiles_n, *cluster) > tickets - schedule.SPLIT_K_BUFFER_MULTIPLE
    for tile in ((128, 64, 64), (128, 16, 128)):
        elements = schedule.split_k_workspace_elements(tile, cluster, 3, tiles_m, tiles_n)
        assert elements % schedule.SPLIT_K_BUFFER_MULTIPLE == 0
