"""The passes preserve the pipeline schedule, checked by executing the IR.

For each builder configuration (hypothesis draws > 200), the naive kernel and
its transformed forms are run by pipeir.interp for one launch; the producer's
(k_tile, operand, stage, phase) copies and the consumer's (stage, phase) waits
must be identical before and after every pass pipeline."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from xdsl.dialects import arith

from pipeir.build import gemm
from pipeir.target.spec import GemmConfig
from pipeir.analysis.interp import consumer_waits, producer_copies, trace_kernel
from pipeir.ir import PipeirError
from pipeir.passes import roll_producer, run_passes
from pipeir.analysis.protocol import verify_pipeline
from pipeir.target.schedule import work_tile_count

PIPELINES = [
    ("fold-static-full",),
    ("roll-producer",),
    ("hoist-rank",),
    ("roll-producer", "hoist-rank"),
    ("fold-static-full", "roll-producer", "hoist-rank"),
]
TILES = [(128, 256, 64), (128, 128, 64), (128, 64, 64), (128, 64, 32), (256, 128, 64), (128, 256, 128)]


@st.composite
def configs(draw):
    tile = draw(st.sampled_from(TILES))
    dtype = draw(st.sampled_from(["bf16", "f16", "f8e4m3", "f8e5m2"] if tile[2] % 32 == 0 else ["bf16", "f16"]))
    base = GemmConfig(m=None, n=None, k=None, dtype=dtype, tile=tile)
    stages = draw(st.integers(1, base.max_stages))
    tm, tn, tk = tile
    m = draw(st.integers(1, 3 * tm))
    n = draw(st.integers(1, 3 * tn))
    k_tiles = draw(st.integers(1, 2 * stages + 3))
    k = k_tiles * tk - draw(st.sampled_from([0, 0, tk // 2, tk - 16]))
    static = draw(st.sampled_from(["all", "none", "k-only-dynamic"]))
    sizes = {"all": (m, n, k), "none": (None, None, None), "k-only-dynamic": (m, n, None)}[static]
    cluster_m, cluster_n = draw(st.sampled_from([(1, 1), (2, 1), (1, 2), (2, 2)]))
    config = GemmConfig(
        *sizes,
        dtype=dtype,
        tile=tile,
        stages=stages,
        cluster=(cluster_m, cluster_n),
        b_major="k" if dtype.startswith("f8") else draw(st.sampled_from(["k", "mn"])),
        warp_specialize=draw(st.booleans()),
    )
    # A grid is whole clusters, each with a work tile (a cluster tile) to run.
    work_tiles = work_tile_count(-(-m // tm), -(-n // tn), cluster_m, cluster_n)
    grid = cluster_m * cluster_n * draw(st.integers(1, min(4, work_tiles)))
    return config, (m, n, k), grid, draw(st.integers(0, grid - 1))


def schedule(module, sizes, grid, cta):
    trace = trace_kernel(module, *sizes, grid=grid, cta=cta)
    return producer_copies(trace), consumer_waits(trace)


@settings(max_examples=220, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(configs())
def test_every_pass_pipeline_preserves_the_schedule(case) -> None:
    config, sizes, grid, cta = case
    expected = schedule(gemm(config), sizes, grid, cta)
    copies, waits = expected
    assert copies and waits, "the launch must exercise the pipeline"
    for passes in PIPELINES:
        module = gemm(config)
        run_passes(module, passes)
        assert schedule(module, sizes, grid, cta) == expected, (config, passes)


BROKEN_ROLL_CONFIG = GemmConfig(m=256, n=512, k=640, tile=(128, 128, 64), stages=3, cluster=(2, 1))


@pytest.fixture
def roll_drops_last_k_tile(monkeypatch):
    """roll-producer, deliberately broken: its loop stops one k-tile early."""
    original = roll_producer.rolled_loop

    def broken(producer, k_tile_count, pipeline):
        ops = original(producer, k_tile_count, pipeline)
        one, loop = ops[1], ops[-1]
        shorter = arith.SubiOp(k_tile_count, one.result)
        loop.operands[1] = shorter.result
        return [*ops[:-1], shorter, loop]

    monkeypatch.setattr(roll_producer, "rolled_loop", broken)
    module = gemm(BROKEN_ROLL_CONFIG)
    run_passes(module, ("roll-producer",))
    return module


def test_the_schedule_check_catches_a_broken_roll(roll_drops_last_k_tile) -> None:
    sizes = (256, 512, 640)
    grid = 2  # one 2x1 cluster
    assert schedule(roll_drops_last_k_tile, sizes, grid, 0) != schedule(gemm(BROKEN_ROLL_CONFIG), sizes, grid, 0)


def test_the_protocol_verifier_catches_a_broken_roll(roll_drops_last_k_tile) -> None:
    with pytest.raises(PipeirError, match="stores a wrong product"):
        verify_pipeline(roll_drops_last_k_tile)
