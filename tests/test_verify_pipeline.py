"""verify-pipeline accepts every builder configuration and rejects broken protocols.

The broken kernels here are builder output with one op changed; the lit tests
in tests/filecheck/verify-pipeline check the located diagnostics of more."""

import itertools

import pytest
from xdsl.dialects import arith, scf
from xdsl.dialects.builtin import IndexType, IntegerAttr, ModuleOp
from xdsl.ir import Operation
from xdsl.rewriter import InsertPoint, Rewriter

from pipeir.build import gemm
from pipeir.target.spec import GemmConfig
from pipeir.dialects import pipe
from pipeir.analysis.interp import Launch
from pipeir.ir import PipeirError
from pipeir.tools.opt import main as pipeir_opt
from pipeir.passes import HEADLINE_PIPELINE, PASSES, run_passes
from pipeir.analysis.protocol import launches, problem_sizes, verify_pipeline

TILE = (128, 64, 16)  # small stages: 12 of them fit shared memory
CLUSTERS = [(1, 1), (2, 1), (1, 2), (2, 2)]
SHAPES = {
    "static-full": (256, 192, 160),  # 2x3 work tiles, 10 k-tiles
    "k-tail": (200, 100, 117),  # edge work tiles, 8 k-tiles, the last partial
    "dynamic": (None, None, None),
}


def sweep() -> list[tuple[int, tuple[int, int], str, bool]]:
    """Every stage count, cluster and warp specialization for the static
    shapes; the dynamic shape (up to 14 problem sizes each) with the clusters
    taken in turn, to keep the sweep fast."""
    static = itertools.product(range(1, 13), CLUSTERS, ["static-full", "k-tail"], [True, False])
    dynamic = [
        (stages, CLUSTERS[(stages + specialized) % 4], "dynamic", specialized)
        for stages, specialized in itertools.product(range(1, 13), [True, False])
    ]
    return [*static, *dynamic]


@pytest.mark.parametrize(("stages", "cluster", "shape", "warp_specialize"), sweep())
def test_accepts_builder_output(stages, cluster, shape, warp_specialize) -> None:
    config = GemmConfig(
        *SHAPES[shape], tile=TILE, stages=stages, cluster=cluster, warp_specialize=warp_specialize
    )
    assert verify_pipeline(gemm(config))["gemm"]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("cluster", CLUSTERS)
def test_accepts_the_headline_pipeline_output(shape: str, cluster: tuple[int, int]) -> None:
    module = gemm(GemmConfig(*SHAPES[shape], tile=TILE, stages=3, cluster=cluster))
    run_passes(module, HEADLINE_PIPELINE)
    assert verify_pipeline(module)["gemm"]


def test_dynamic_sizes_cover_one_and_several_tiles_and_k_tails() -> None:
    kernel = kernel_of(gemm(GemmConfig(m=1000, n=None, k=None, tile=TILE, stages=4)))
    k_sizes = [8, 16, 48, 64, 72, 80, 144]  # tile_k = 16: tails of 1/2 and 4 1/2 k-tiles
    assert problem_sizes(kernel) == [(1000, n, k) for n in (64, 65) for k in k_sizes]


def test_launches_cover_every_rank_and_the_last_work_tile() -> None:
    kernel = kernel_of(gemm(GemmConfig(m=4096, n=4096, k=4096, stages=4, cluster=(2, 1))))
    # 32 x 16 = 512 work tiles, about 3 per CTA: a grid of 172 CTAs.
    assert launches(kernel, 4096, 4096, 4096) == [
        Launch(4096, 4096, 4096, grid=172, cta=0, rank=0),
        Launch(4096, 4096, 4096, grid=172, cta=1, rank=1),
        Launch(4096, 4096, 4096, grid=172, cta=167, rank=1),
    ]


# -- broken kernels ----------------------------------------------------------


def kernel_of(module: ModuleOp) -> pipe.KernelOp:
    return next(op for op in module.walk() if isinstance(op, pipe.KernelOp))


def ops_in(module: ModuleOp, role: str, kind: type[Operation]) -> list[Operation]:
    (role_op,) = [r for r in kernel_of(module).roles if r.kind.data == role]
    return [op for op in role_op.walk() if isinstance(op, kind)]


def index(value: int, before: Operation) -> arith.ConstantOp:
    constant = arith.ConstantOp.from_int_and_width(value, IndexType())
    Rewriter.insert_op(constant, InsertPoint.before(before))
    return constant


def rejects(module: ModuleOp, message: str) -> str:
    with pytest.raises(PipeirError) as error:
        verify_pipeline(module)
    assert message in str(error.value)
    return str(error.value)


def small(**changes) -> ModuleOp:
    """One work tile of 4 full k-tiles through a 2-stage ring."""
    return gemm(GemmConfig(**{"m": 128, "n": 64, "k": 64, "tile": TILE, "stages": 2, **changes}))


def test_rejects_a_missing_release() -> None:
    module = small()
    Rewriter.erase_op(ops_in(module, "consumer", pipe.ReleaseOp)[0])
    rejects(module, "missing release: the wait of stage 0 (phase 0) is not released before the next wait")


def test_rejects_an_mma_without_wait() -> None:
    module = small()
    Rewriter.erase_op(ops_in(module, "consumer", pipe.WaitOp)[0])
    rejects(module, "mma of stage 0 (phase 0) of tile (0, 0) while the consumer holds no wait of the stage")


def test_rejects_a_commit_without_acquire() -> None:
    module = small()
    commit = ops_in(module, "producer", pipe.CommitOp)[0]
    Rewriter.insert_op(pipe.CommitOp(commit.pipeline, commit.state), InsertPoint.after(commit))
    rejects(module, "commit of stage 0 (phase 1) without an acquire")


def test_rejects_a_missing_copy() -> None:
    module = small()
    Rewriter.erase_op(next(c for c in ops_in(module, "producer", pipe.CopyOp) if c.operand.data == "b"))
    rejects(module, "commit of stage 0 (phase 1) at k-tile 0 of tile (0, 0) without a copy of 'b'")


def test_rejects_a_second_copy_of_one_operand() -> None:
    module = small()
    copy = ops_in(module, "producer", pipe.CopyOp)[0]
    Rewriter.insert_op(copy.clone(), InsertPoint.after(copy))
    rejects(module, "second copy of 'a' (k-tile 0) into stage 0 in one fill")


def test_rejects_copies_of_different_k_tiles_in_one_fill() -> None:
    module = small()
    copy_b = next(c for c in ops_in(module, "producer", pipe.CopyOp) if c.operand.data == "b")
    copy_b.operands[1] = index(3, copy_b).result
    rejects(module, "its copies load different k-tiles 'a' 0, 'b' 3")


def test_rejects_a_multicast_rank_of_another_cta() -> None:
    module = small(m=256, cluster=(2, 1))  # B multicast to both CTAs
    for rank in ops_in(module, "producer", pipe.ClusterRankOp):
        rank.result.replace_all_uses_with(index(0, rank).result)
    message = rejects(module, "multicasts as rank 0, but runs on the CTA of rank 1")
    assert "CTA 1 of 2 (rank 1)" in message


def test_rejects_a_consumer_starting_at_phase_1() -> None:
    module = small()
    (start,) = ops_in(module, "consumer", pipe.InitStateOp)
    Rewriter.replace_op(start, pipe.InitStateOp(start.pipeline, 0, 1))
    rejects(module, "wrong phase: consumer wait of stage 0 uses phase 1; a consumer state starts at phase 0")


def test_rejects_a_producer_tail_on_a_stale_state() -> None:
    module = small(k=48)  # 3 k-tiles: the ring ends at stage 1, phase 0
    (tail,) = ops_in(module, "producer", pipe.ProducerTailOp)
    (start,) = ops_in(module, "producer", pipe.InitStateOp)
    tail.operands[1] = start.result
    rejects(module, "wrong phase: producer producer_tail of stage 1 uses phase 1, but this is its pass 2")


def test_rejects_a_consumer_that_takes_more_k_tiles_than_produced() -> None:
    module = small(k=56)  # a K tail: the consumer's guard has an else branch that waits too
    inner = ops_in(module, "consumer", scf.ForOp)[1]
    more = arith.AddiOp(inner.ub, index(1, inner).result)
    Rewriter.insert_op(more, InsertPoint.before(inner))
    inner.operands[1] = more.result
    rejects(
        module,
        "deadlock: producer has finished, consumer blocks on wait of stage 0 (phase 0) at k-tile 4",
    )


def test_rejects_a_fill_that_is_never_consumed() -> None:
    module = small()
    Rewriter.erase_op(ops_in(module, "producer", pipe.ProducerTailOp)[0])
    inner = ops_in(module, "consumer", scf.ForOp)[1]
    fewer = arith.SubiOp(inner.ub, index(1, inner).result)
    Rewriter.insert_op(fewer, InsertPoint.before(inner))
    inner.operands[1] = fewer.result
    rejects(module, "unconsumed fill: the commit of stage 1 (phase 0) is never waited for")


def test_rejects_a_mainloop_that_waits_before_filling() -> None:
    module = small(warp_specialize=False)
    (acc_init,) = ops_in(module, "mainloop", pipe.AccInitOp)
    (_, consume) = ops_in(module, "mainloop", pipe.InitStateOp)
    Rewriter.insert_op(pipe.WaitOp(consume.pipeline, consume.result), InsertPoint.after(acc_init))
    rejects(
        module,
        "deadlock: mainloop blocks on wait of stage 0 (phase 0) at k-tile 0 of tile (0, 0), "
        "which only its own later commit of the stage could unblock",
    )


def test_rejects_dialect_errors_before_simulating() -> None:
    module = small()
    (start,) = ops_in(module, "producer", pipe.InitStateOp)
    start.properties["index"] = IntegerAttr.from_index_int_value(5)
    rejects(module, "stage index 5 is out of range for a 2-stage pipeline")


# -- the pass ------------------------------------------------------------------


def test_pass_is_registered_with_a_summary() -> None:
    verify = PASSES["verify-pipeline"]()
    assert verify.name == "verify-pipeline"
    assert verify.__doc__.startswith("Prove each kernel's ring protocol")


def test_pipeir_opt_reports_a_located_error(tmp_path, capsys) -> None:
    module = small()
    Rewriter.erase_op(ops_in(module, "consumer", pipe.ReleaseOp)[0])
    path = tmp_path / "kernel.mlir"
    path.write_text(str(module))
    assert pipeir_opt(["--verify-pipeline", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{path}:") and ": error: missing release" in err
    assert "Traceback" not in err and len(err.splitlines()) == 1


def test_pipeir_opt_reports_what_it_verified(tmp_path, capsys) -> None:
    path = tmp_path / "kernel.mlir"
    path.write_text(str(gemm(GemmConfig(m=None, n=4096, k=None, tile=TILE, stages=3, cluster=(1, 2)))))
    assert pipeir_opt(["--verify-pipeline", "--pass-statistics", str(path), "-o", "/dev/null"]) == 0
    assert capsys.readouterr().err == (
        "verify-pipeline: @gemm: protocol holds on 42 CTA launch(es) over 14 problem size(s)\n"
    )
