"""The CuTe DSL lowering: every op has one rule, the generated module follows the IR
(its epilogue, tail and scheduler ops included), and what cannot be built is refused
with a located error."""

import re
from dataclasses import replace
from pathlib import Path

import pytest

pytest.importorskip("cutlass")

from xdsl.dialects import arith  # noqa: E402
from xdsl.dialects.builtin import IndexType  # noqa: E402

from pipeir.analysis.interp import kernel_of  # noqa: E402
from pipeir.build import gemm  # noqa: E402
from pipeir.dialects import pipe  # noqa: E402
from pipeir.ir import PipeirError, make_context, parse_module, verify_located  # noqa: E402
from pipeir.lower import lower_module  # noqa: E402
from pipeir.lower.cute.emit import RoleEmitter  # noqa: E402
from pipeir.lower.cute.sm90.kernel import collectives  # noqa: E402
from pipeir.lower.cute.sm100.kernel import collectives as sm100_collectives  # noqa: E402
from pipeir.passes import HEADLINE_PIPELINE, run_passes  # noqa: E402
from pipeir.target.spec import GemmConfig  # noqa: E402

STATIC = GemmConfig(m=4096, n=4096, k=4096, dtype="bf16", stages=4, cluster=(2, 1))
FILECHECK = Path(__file__).parent / "filecheck"


def function(source: str, name: str) -> str:
    """The body of the generated `def name(...)`."""
    start = source.index(f"def {name}(")
    end = source.index("\n\n\n", start)
    return source[start:end]


def lowered(config: GemmConfig, passes=()) -> str:
    module = gemm(config)
    run_passes(module, passes)
    return lower_module(module)


SPLIT_K_OPS = {"pipe.k_split", "pipe.split_reduce"}
"""Lowered by the split-K scheduler only: a kernel without split_k has none (and sm_100a
builds no split-K kernel)."""


PINGPONG_OPS = {"pipe.consumer_warpgroup", "pipe.order_wait", "pipe.order_signal"}
"""Lowered by the pingpong scheduler only (sm_90a)."""


@pytest.mark.parametrize("arch, split_k, pingpong", [
    ("sm_90a", None, False), ("sm_90a", 2, False), ("sm_90a", None, True), ("sm_100a", None, False)])
def test_every_op_has_exactly_one_lowering_rule(arch, split_k, pingpong) -> None:
    tile = (128, 128, 64) if pingpong else STATIC.tile
    kernel = kernel_of(gemm(replace(STATIC, arch=arch, mma_in_flight=None, split_k=split_k, pingpong=pingpong,
                                    tile=tile)))
    backend = sm100_collectives if arch == "sm_100a" else collectives
    owners = {}
    for constant, collective in backend(kernel).items():
        for op in collective.OPS:
            assert op not in owners, f"{op} is lowered by {owners[op]} and {constant}"
            owners[op] = constant
    structural = {"pipe.kernel", "pipe.pipeline"}  # the module itself and the mainloop's ring
    unbuilt = (set() if split_k else SPLIT_K_OPS) | (set() if pingpong else PINGPONG_OPS)
    assert set(owners) | structural == {op.name for op in pipe.Pipe.operations} - unbuilt
    rules = RoleEmitter(kernel.roles[0]).rules
    role_ops = {op.name for op in pipe.Pipe.operations} - structural - {"pipe.role"}
    assert role_ops <= {op.name for op in rules}


def test_naive_form_lowers_unrolled() -> None:
    producer = function(lowered(STATIC), "producer")
    stages = STATIC.stage_count
    assert producer.count("mainloop.acquire(producer_state)") == stages + 1
    assert producer.count("mainloop.copy('b'") == stages + 1
    assert producer.count("mainloop.cluster_rank()") == stages + 1


def test_rolled_form_is_one_visible_loop() -> None:
    source = lowered(STATIC, HEADLINE_PIPELINE)
    producer = function(source, "producer")
    loop = re.compile(
        r"for (k_tile\w*) in cutlass\.range\(0, k_tile_count, 1, unroll=1\):\n"
        r"\s+mainloop\.acquire\(producer_state\)\n"
        r"\s+mainloop\.copy\('a', m_tile, \1, producer_state, 0\)\n"
        r"\s+mainloop\.copy\('b', n_tile, \1, producer_state, b_mcast_mask\)\n"
        r"\s+mainloop\.commit\(producer_state\)\n"
        r"\s+producer_state\.advance\(\)\n"
    )
    assert loop.search(producer), producer
    assert producer.count("mainloop.copy(") == 2
    assert producer.index("mainloop.cluster_rank()") < producer.index("for tile in")
    assert "k_tile_full" not in function(source, "consumer")


def test_the_overlapping_consumer_keeps_two_ring_positions() -> None:
    consumer = function(lowered(STATIC, HEADLINE_PIPELINE), "consumer")
    read = re.search(r"(\w+) = consumer_state\.clone\(\)\n\s+\1\.advance\(\)", consumer)
    assert read, consumer
    loop = consumer[consumer.index("for k_tile"):]
    assert re.search(
        rf"mainloop\.wait\({read[1]}\)\n\s+accumulate = mainloop\.mma\({read[1]}, accumulate\)\n\s+mainloop\.mma_wait\(1\)\n"
        r"\s+mainloop\.release\(consumer_state\)\n",
        loop,
    ), loop
    tail = consumer[consumer.rindex("mainloop.mma_wait(0)"):]
    assert tail.index("mainloop.release(consumer_state)") < tail.index("epilogue.store(m_tile, n_tile)")


def test_the_serial_consumer_waits_for_every_batch() -> None:
    consumer = function(lowered(replace(STATIC, mma_in_flight=0), HEADLINE_PIPELINE), "consumer")
    assert "clone()" not in consumer
    assert "mainloop.mma_wait(1)" not in consumer
    assert re.search(r"mainloop\.mma\(consumer_state, accumulate\)\n\s+mainloop\.mma_wait\(0\)\n\s+mainloop\.release", consumer)


@pytest.mark.parametrize("raster", ["m", "n"])
def test_raster_order_reaches_the_scheduler(raster) -> None:
    source = lowered(replace(STATIC, raster=raster, raster_group=8))
    assert f"raster='{raster}', group=8," in source.split("SCHEDULER = ")[1].splitlines()[0]


def edited(config: GemmConfig, edit) -> str:
    module = gemm(config)
    run_passes(module, HEADLINE_PIPELINE)
    edit(kernel_of(module))
    return lower_module(module)


def role(kernel, kind):
    return next(r for r in kernel.roles if r.kind.data == kind)


def test_generated_code_follows_the_epilogue_tail_and_scheduler_ops() -> None:
    reference = lowered(STATIC, HEADLINE_PIPELINE)

    def drop_tail(kernel):
        tail = next(op for op in role(kernel, "producer").walk() if isinstance(op, pipe.ProducerTailOp))
        tail.detach()
        tail.erase()

    without_tail = edited(STATIC, drop_tail)
    assert "mainloop.producer_tail(" in function(reference, "producer")
    assert "mainloop.producer_tail(" not in function(without_tail, "producer")

    def epilogue_first(kernel):
        store = next(op for op in role(kernel, "consumer").walk() if isinstance(op, pipe.EpilogueOp))
        init = next(op for op in role(kernel, "consumer").walk() if isinstance(op, pipe.AccInitOp))
        store.detach()
        init.parent_block().insert_op_after(store, init)

    consumer = function(edited(STATIC, epilogue_first), "consumer")
    assert consumer.index("epilogue.store(") < consumer.index("for k_tile")

    def stride_one(kernel):
        stride = next(op for op in role(kernel, "consumer").walk() if isinstance(op, pipe.WorkTileStrideOp))
        (use,) = stride.result.uses
        loop = use.operation
        one = arith.ConstantOp.from_int_and_width(1, IndexType())
        loop.parent_block().insert_op_before(one, loop)
        loop.operands[2] = one.result

    consumer = function(edited(STATIC, stride_one), "consumer")
    assert "for tile in cutlass.range(first_tile, tile_count, 1, unroll=1):" in consumer


def test_shared_warp_kernels_are_refused_with_the_role_located() -> None:
    text = str(gemm(GemmConfig(m=256, n=256, k=256, warp_specialize=False)))
    module = parse_module(make_context(), text, "shared.mlir")
    with pytest.raises(PipeirError, match=r"cannot lower 'pipe.role'.*share warps") as error:
        lower_module(module)
    assert error.value.location.startswith("shared.mlir:")


def test_each_architecture_has_its_backend() -> None:
    assert "TmaWgmmaMainloop(" in lowered(STATIC)
    assert "TmaUmmaMainloop(" in lowered(GemmConfig(m=256, n=256, k=256, arch="sm_100a"))


def test_an_op_the_backend_cannot_build_is_refused_naming_its_loop() -> None:
    module = gemm(STATIC)
    run_passes(module, HEADLINE_PIPELINE)
    module = parse_module(make_context(), str(module), "kernel.mlir")  # ops get locations
    kernel = kernel_of(module)
    wait = next(op for op in role(kernel, "consumer").walk() if isinstance(op, pipe.WaitOp))
    wait.operands[1] = role(kernel, "producer").body.block.first_op.results[0]  # another role's state
    with pytest.raises(PipeirError, match=r"cannot lower 'pipe.wait' \(in the scf.for at kernel.mlir:\d+:\d+\)"):
        lower_module(module)


def filecheck_inputs() -> list:
    return [
        pytest.param(path, index, chunk, id=f"{path.relative_to(FILECHECK)}#{index}")
        for path in sorted(FILECHECK.rglob("*.mlir"))
        for index, chunk in enumerate(path.read_text().split("// -----"))
    ]


@pytest.mark.parametrize("path, index, chunk", filecheck_inputs())
def test_every_filecheck_input_lowers_or_is_refused_with_a_location(path, index, chunk) -> None:
    try:
        module = parse_module(make_context(), chunk, str(path))
        verify_located(module)
        source = lower_module(module)
    except PipeirError as error:  # refused by the parser, the verifier or the lowering
        assert error.location.startswith(f"{path}:"), error
        return
    compile(source, str(path), "exec")


def test_any_kernel_name_gives_a_valid_module() -> None:
    name = 'we"""ird\\n\'name'
    source = lowered(replace(STATIC, name=name))
    compile(source, "<generated>", "exec")
    assert source.splitlines()[0].startswith('"""Generated by pipeir from `pipe.kernel @"we\\"\\"\\"ird')
