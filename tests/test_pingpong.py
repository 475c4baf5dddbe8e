"""The pingpong schedule on the CPU: its legality (the target's), the IR the builder emits
and the passes keep, what the interpreter and the protocol verifier make of the two
warpgroups, the lowering, and the compiled kernels' registers (0 spills)."""

from dataclasses import replace

import pytest
from kernel_stats import kernel_stats

from pipeir.analysis.interp import parse_trace_name, trace_kernel, trace_name
from pipeir.analysis.protocol import verify_kernel
from pipeir.build import gemm
from pipeir.dialects import pipe
from pipeir.ir import PipeirError, make_context, parse_module
from pipeir.passes import HEADLINE_PIPELINE, run_passes
from pipeir.target import target_for
from pipeir.target.spec import ConfigError, GemmConfig

FP8 = GemmConfig(m=4096, n=4096, k=4096, dtype="f8e4m3", tile=(128, 128, 128), pingpong=True)
FUSED = replace(FP8, scale="rowwise", bias=True, activation="silu")
DECODE = GemmConfig(m=None, n=4096, k=4096, dtype="f8e4m3", tile=(64, 32, 256), swap_ab=True, raster="n",
                    scale="rowwise", bias=True, activation="silu", pingpong=True)
"""The decode heuristic's schedule: swap_ab, a 64-row weight tile per warpgroup, dynamic M."""


def kernel(config: GemmConfig, passes=()) -> pipe.KernelOp:
    module = gemm(config)
    run_passes(module, passes)
    (op,) = [op for op in module.walk() if isinstance(op, pipe.KernelOp)]
    return op


@pytest.mark.parametrize("tile", [(128, 128, 128), (64, 256, 128), (128, 64, 128), (64, 128, 128)])
def test_warpgroup_tiles_are_legal(tile) -> None:
    replace(FP8, tile=tile).validate()


@pytest.mark.parametrize("fields, message", [
    (dict(tile=(128, 256, 128)), "at most 128, got 256"),
    (dict(tile=(256, 128, 128)), "tile_m must be 64 or 128"),
    (dict(arch="sm_100a", tile=None), "pingpong is not built for sm_100a"),
    (dict(split_k=2), "pingpong is not built with split_k"),
    (dict(warp_specialize=False), "pingpong needs warp specialization"),
])
def test_refusals_are_the_targets(fields, message) -> None:
    with pytest.raises(ConfigError, match=message):
        replace(FP8, **fields).validate()


def test_default_tile_and_register_budget_are_one_warpgroups() -> None:
    target = target_for("sm_90a")
    assert replace(FP8, tile=None).tile_shape == (128, 128, 128)
    assert target.tile_warpgroups(FP8) == 1 and target.tile_warpgroups(replace(FP8, pingpong=False)) == 2
    # a thread holds 2 rows of each of the two 64-row atoms of a 128-row tile
    assert target.held_operand_registers(FP8, "m") == 4


def test_the_kernel_carries_the_schedule() -> None:
    op = kernel(FP8)
    assert op.is_pingpong and op.spec.pingpong
    assert not kernel(replace(FP8, pingpong=False, tile=(128, 256, 128))).is_pingpong


@pytest.mark.parametrize("config", [
    FP8, FUSED, replace(FP8, mma_in_flight=0), replace(FP8, cluster=(2, 2), tile=(64, 256, 128)),
    replace(FP8, m=None, n=None, k=None, dtype="bf16", tile=(128, 64, 64), stages=3), DECODE,
    replace(DECODE, n=None, k=None, dtype="bf16", tile=(64, 16, 128), scale=None, bias=False, activation=None),
], ids=str)
@pytest.mark.parametrize("passes", [(), HEADLINE_PIPELINE], ids=["naive", "headline"])
def test_verifier_proves_the_pingpong_form(config, passes) -> None:
    assert verify_kernel(kernel(config, passes))


def test_each_warpgroup_stores_alternate_tiles_of_its_cta() -> None:
    # 3 x 3 tiles on a grid of 2 CTAs: CTA 0 has tiles 0, 2, 4, 6, 8; warpgroup 0 takes 0, 4, 8.
    config = replace(FP8, m=384, n=384, k=512)
    trace = trace_kernel(kernel(config), grid=2, cta=0)
    assert set(trace) == {"producer", trace_name("consumer", 0), trace_name("consumer", 1)}
    assert parse_trace_name("consumer.wg1") == ("consumer", 1)
    stored = {name: [e.tile for e in events if e.kind == "epilogue"] for name, events in trace.items()}
    produced = [e.tile for e in trace["producer"] if e.kind == "commit"][::4]
    assert stored["consumer.wg0"] == produced[0::2] and stored["consumer.wg1"] == produced[1::2]
    assert len(stored["consumer.wg0"]) == 3 and len(stored["consumer.wg1"]) == 2


def mutated(config: GemmConfig, old: str, new: str) -> pipe.KernelOp:
    text = str(gemm(config))
    assert old in text
    module = parse_module(make_context(), text.replace(old, new, 1))
    (op,) = [op for op in module.walk() if isinstance(op, pipe.KernelOp)]
    return op


@pytest.mark.parametrize("old, new, message", [
    ("pipe.order_wait mma\n", "", "outside its mma turn"),
    ("pipe.order_signal epilogue\n", "", "inside its own epilogue turn"),
    ("pipe.work_tile_stride warpgroup", "pipe.work_tile_stride", "in the schedule of consumer.wg0"),
])
def test_verifier_refuses_broken_turns_and_shares(old, new, message) -> None:
    with pytest.raises(PipeirError, match=message):
        verify_kernel(mutated(replace(FP8, k=512), old, new))


def test_lowering_gives_each_warpgroup_its_tile() -> None:
    from pipeir.lower import lower_module

    module = gemm(FUSED)
    run_passes(module, HEADLINE_PIPELINE)
    source = lower_module(module)
    assert "consumer_warpgroups=1," in source.split("MAINLOOP = ")[1].splitlines()[0]
    assert "store_teams=2" in source.split("EPILOGUE = ")[1].splitlines()[0]
    assert "SCHEDULER = PingpongPersistentScheduler(" in source
    for line in ("scheduler.order_wait('mma')", "scheduler.order_signal('mma', epilogue)",
                 "scheduler.order_wait('epilogue')", "scheduler.order_signal('epilogue', epilogue)",
                 "consumer_state.advance((k_tile_count * warpgroup))", "consumer_state.advance(k_tile_count)",
                 "scheduler.warpgroup_first_work_tile()", "scheduler.consumer_setup()"):
        assert line in source


def test_swap_ab_lowers_to_a_transposed_store_per_warpgroup() -> None:
    from pipeir.lower import lower_module

    module = gemm(DECODE)
    run_passes(module, HEADLINE_PIPELINE)
    source = lower_module(module)
    epilogue = source.split("EPILOGUE = ")[1].splitlines()[0]
    assert "store_teams=2" in epilogue and "transposed=True" in epilogue
    assert "MAINLOOP.kernel_params(mB, mA)" in source and "SCHEDULER = PingpongPersistentScheduler(" in source


@pytest.mark.parametrize("config", [FP8, FUSED, DECODE], ids=["plain", "rowwise-bias-silu", "decode-swap-ab"])
def test_pingpong_kernels_do_not_spill(config, tmp_path) -> None:
    stats, _ = kernel_stats(config, tmp_path)
    assert stats["spills"] == 0 and stats["gmma"] > 0 and stats["utmastg"] > 0
