"""pipeir.interp executes builder kernels with the documented launch semantics."""

import pytest
from xdsl.dialects import arith
from xdsl.dialects.builtin import IndexType, IntegerAttr, ModuleOp, i1
from xdsl.interpreter import Interpreter
from xdsl.interpreters.arith import ArithFunctions

from pipeir.build import gemm
from pipeir.target.spec import GemmConfig
from pipeir.analysis.interp import (
    KernelArithFunctions,
    consumer_waits,
    producer_copies,
    trace_kernel,
)
from pipeir.ir import PipeirError, make_context, parse_module

TILE = (128, 128, 64)


def expected_copies(k_tiles: int, work_tiles: int, stages: int) -> list[tuple[int, str, int, int]]:
    """k-tiles 0..k_tiles-1 of each work tile, A then B, on consecutive ring
    positions; the producer starts at phase 1."""
    copies = []
    for count in range(k_tiles * work_tiles):
        stage, phase = count % stages, 1 ^ (count // stages) % 2
        copies += [(count % k_tiles, "a", stage, phase), (count % k_tiles, "b", stage, phase)]
    return copies


def expected_waits(k_tiles: int, work_tiles: int, stages: int) -> list[tuple[int, int]]:
    """The same ring positions as the copies; the consumer starts at phase 0."""
    return [(count % stages, (count // stages) % 2) for count in range(k_tiles * work_tiles)]


@pytest.mark.parametrize("stages", [1, 2, 3, 4])
@pytest.mark.parametrize("k", [64 * 10, 64 * 2, 64 * 4 + 5, 30])
def test_producer_copies_and_consumer_waits_follow_the_ring(stages: int, k: int) -> None:
    module = gemm(GemmConfig(m=256, n=128, k=k, tile=TILE, stages=stages))
    trace = trace_kernel(module)  # 2 work tiles, both on the single CTA
    k_tiles = -(-k // 64)
    assert producer_copies(trace) == expected_copies(k_tiles, 2, stages)
    assert consumer_waits(trace) == expected_waits(k_tiles, 2, stages)


def test_dynamic_k_needs_its_size_and_counts_k_tiles_with_the_tail() -> None:
    module = gemm(GemmConfig(m=128, n=128, k=None, tile=TILE, stages=3))
    with pytest.raises(PipeirError, match="K is dynamic: give its size"):
        trace_kernel(module)
    trace = trace_kernel(module, k=64 * 7 + 1)
    assert producer_copies(trace) == expected_copies(8, 1, 3)
    assert consumer_waits(trace) == expected_waits(8, 1, 3)


def test_static_sizes_must_match() -> None:
    module = gemm(GemmConfig(m=128, n=128, k=128, tile=TILE, stages=2))
    with pytest.raises(PipeirError, match=r"M is static \(128\) but the launch gives 256"):
        trace_kernel(module, 256)
    with pytest.raises(PipeirError, match="CTA 2 is not in a grid of 2"):
        trace_kernel(module, grid=2, cta=2)


def test_mainloop_interleaves_consumption_and_refill_in_program_order() -> None:
    module = gemm(GemmConfig(m=128, n=128, k=64 * 4, tile=TILE, stages=2, warp_specialize=False))
    (events,) = trace_kernel(module).values()
    ring = [(e.kind, e.k_tile, e.stage, e.phase) for e in events if e.kind in ("copy", "wait")]
    fill = lambda k, s, p: [("copy", k, s, p), ("copy", k, s, p)]  # A, then B
    assert ring == [
        *fill(0, 0, 1), *fill(1, 1, 1),  # prologue fills the ring
        ("wait", None, 0, 0), *fill(2, 0, 0),  # drain k-tile 0, refill its stage
        ("wait", None, 1, 0), *fill(3, 1, 0),
        ("wait", None, 0, 1),
        ("wait", None, 1, 1),
    ]  # fmt: skip


def test_persistent_schedule_and_raster_along_m() -> None:
    # M = 3 tile rows (the last partial), N = 2 tile columns: 6 work tiles;
    # CTA 1 of 2 runs tiles 1, 3, 5 = (1, 0), (0, 1), (2, 1).
    module = gemm(GemmConfig(m=2 * 128 + 1, n=2 * 128, k=64, tile=TILE, stages=2))
    trace = trace_kernel(module, grid=2, cta=1)
    epilogues = [(e.tile, e.masked) for e in trace["consumer"] if e.kind == "epilogue"]
    assert epilogues == [((1, 0), False), ((0, 1), False), ((2, 1), True)]
    copies = [(e.tile, e.operand, e.operand_tile) for e in trace["producer"] if e.kind == "copy"]
    assert copies == [
        ((1, 0), "a", 1), ((1, 0), "b", 0),
        ((0, 1), "a", 0), ((0, 1), "b", 1),
        ((2, 1), "a", 2), ((2, 1), "b", 1),
    ]  # fmt: skip


def test_a_raster_group_walks_bands_across_the_raster_order() -> None:
    # 4 x 3 output tiles in bands of 2 columns, raster m: the first band's tiles go
    # (0,0) (0,1) (1,0) (1,1) ..., then the last band, one column wide: (0,2) (1,2) ...
    module = gemm(GemmConfig(m=4 * 128, n=3 * 128, k=64, tile=TILE, stages=2, raster_group=2))
    tiles = [e.tile for e in trace_kernel(module, grid=1, cta=0)["consumer"] if e.kind == "epilogue"]
    assert tiles == [(0, 0), (0, 1), (1, 0), (1, 1), (2, 0), (2, 1), (3, 0), (3, 1),
                     (0, 2), (1, 2), (2, 2), (3, 2)]


def test_multicast_copies_carry_the_cluster_rank() -> None:
    # Cluster 2x1: B is multicast (mcast [1, 2]), A is not.
    module = gemm(GemmConfig(m=512, n=128, k=64, tile=TILE, stages=2, cluster=(2, 1)))
    ranks = lambda trace: {(e.operand, e.rank) for e in trace["producer"] if e.kind == "copy"}
    assert ranks(trace_kernel(module, grid=4, cta=3)) == {("a", None), ("b", 1)}
    assert ranks(trace_kernel(module, grid=4, cta=3, rank=0)) == {("a", None), ("b", 0)}
    with pytest.raises(PipeirError, match="rank 2 is not in the 2x1 cluster"):
        trace_kernel(module, grid=4, cta=3, rank=2)


def located_kernel(extra_producer_ops: str = "") -> tuple[list[str], ModuleOp]:
    """A builder kernel parsed from text as `kernel.mlir`, with `extra_producer_ops`
    at the start of the producer role."""
    text = str(gemm(GemmConfig(m=128, n=128, k=64, tile=TILE, stages=1)))
    role = "    pipe.role producer warps(1) {\n"
    text = text.replace(role, role + extra_producer_ops, 1)
    return text.splitlines(), parse_module(make_context(), text, "kernel.mlir")


def line_of(lines: list[str], needle: str) -> int:
    return next(number for number, line in enumerate(lines, 1) if needle in line)


def test_events_are_located() -> None:
    lines, module = located_kernel()
    acquire = next(e for e in trace_kernel(module)["producer"] if e.kind == "acquire")
    assert acquire.location == f"kernel.mlir:{line_of(lines, 'pipe.acquire')}:11"


def test_an_op_without_semantics_is_a_located_error() -> None:
    lines, module = located_kernel(
        "      %one = arith.constant 1 : index\n      %q = arith.divui %one, %one : index\n"
    )
    with pytest.raises(PipeirError) as error:
        trace_kernel(module)
    assert str(error.value).startswith(
        f"kernel.mlir:{line_of(lines, 'arith.divui')}:7: error: cannot execute 'arith.divui'"
    )


def test_runaway_loops_stop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("pipeir.analysis.interp.OP_BUDGET", 500)
    module = gemm(GemmConfig(m=128, n=128, k=64 * 100, tile=TILE, stages=2))
    with pytest.raises(PipeirError, match="simulation stopped after 500 operations"):
        trace_kernel(module)


@pytest.mark.parametrize(
    ("op", "operands"),
    [
        (arith.AddiOp, [(3, IndexType()), (4, IndexType())]),
        (arith.SubiOp, [(3, IndexType()), (4, IndexType())]),
        (arith.MuliOp, [(3, IndexType()), (4, IndexType())]),
        (arith.AndIOp, [(6, IndexType()), (3, IndexType())]),
        (arith.OrIOp, [(6, IndexType()), (3, IndexType())]),
        (arith.XOrIOp, [(6, IndexType()), (3, IndexType())]),
        (arith.AndIOp, [(1, i1), (1, i1)]),
        (arith.OrIOp, [(0, i1), (1, i1)]),
        (arith.XOrIOp, [(1, i1), (1, i1)]),
    ],
)
def test_fast_arith_agrees_with_xdsl(op, operands) -> None:
    constants = [arith.ConstantOp(IntegerAttr(value, typ)) for value, typ in operands]
    binary = op(*[c.result for c in constants])
    results = []
    for functions in (ArithFunctions(), KernelArithFunctions()):
        interpreter = Interpreter(ModuleOp([]))
        interpreter.register_implementations(functions)
        args = [interpreter.run_op(c, ())[0] for c in constants]
        results.append(interpreter.run_op(binary, tuple(args))[0])
    xdsl, fast = results
    assert bool(fast) == bool(xdsl) if binary.result.type == i1 else fast == xdsl


@pytest.mark.parametrize("predicate", ["eq", "ne", "slt", "sle", "sgt", "sge", "ult", "uge"])
@pytest.mark.parametrize(("lhs", "rhs"), [(2, 5), (5, 5), (-1, 3)])
def test_fast_cmpi_agrees_with_xdsl(predicate: str, lhs: int, rhs: int) -> None:
    values = [arith.ConstantOp(IntegerAttr(v, IndexType())) for v in (lhs, rhs)]
    compare = arith.CmpiOp(values[0], values[1], predicate)
    results = []
    for functions in (ArithFunctions(), KernelArithFunctions()):
        interpreter = Interpreter(ModuleOp([]))
        interpreter.register_implementations(functions)
        results.append(interpreter.run_op(compare, (lhs, rhs))[0])
    assert results[0] == results[1]
