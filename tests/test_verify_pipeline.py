"""verify-pipeline accepts every builder configuration and rejects broken protocols.

The broken kernels here are builder output with one op changed; the lit tests
in tests/filecheck/verify-pipeline check the located diagnostics of more."""

import itertools

import pytest
from xdsl.dialects import arith, scf
from xdsl.dialects.builtin import IntegerAttr, ModuleOp
from xdsl.rewriter import InsertPoint, Rewriter

from pipeir.build import gemm
from pipeir.target.spec import GemmConfig
from pipeir.dialects import pipe
from pipeir.analysis.interp import Geometry, Launch, kernel_of
from pipeir.ir import PipeirError
from pipeir.tools.opt import main as pipeir_opt
from pipeir.passes import HEADLINE_PIPELINE, PASSES, run_passes
from pipeir.analysis.protocol import (
    WORK_TILES_PER_CTA,
    cluster_with_work_tiles,
    launches,
    problem_sizes,
    verify_pipeline,
)

from kernel_edits import index, ops_in

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


def test_dynamic_sizes_cover_every_k_tile_count_with_and_without_a_tail() -> None:
    kernel = kernel_of(gemm(GemmConfig(m=1000, n=None, k=None, tile=TILE, stages=4)))
    # tile_k = 16, 4 stages: 1..10 k-tiles, each with half a k-tile short and whole.
    k_sizes = [size for k_tiles in range(1, 11) for size in (16 * k_tiles - 8, 16 * k_tiles)]
    # N: three tile columns, the last an edge column (cluster 1x1).
    assert problem_sizes(kernel) == [(1000, 2 * 64 + 1, k) for k in k_sizes]


def test_dynamic_m_and_n_span_three_cluster_tiles_the_last_partial() -> None:
    kernel = kernel_of(gemm(GemmConfig(m=None, n=None, k=64, tile=TILE, stages=2, cluster=(2, 2))))
    # 5 tile rows and columns: cluster tiles of rows (0, 1), (2, 3), (4, 5); row 4 is an
    # edge, row 5 lies outside M.
    assert problem_sizes(kernel) == [(4 * 128 + 1, 4 * 64 + 1, 64)]


def test_launches_give_a_cta_three_two_one_and_no_work_tiles_on_every_rank() -> None:
    kernel = kernel_of(gemm(GemmConfig(m=4096, n=4096, k=4096, stages=4, cluster=(2, 1))))
    # 32 x 16 tiles = 256 cluster tiles of 2x1.
    simulated = launches(kernel, 4096, 4096, 4096)
    assert simulated == [
        Launch(4096, 4096, 4096, grid=170, cta=168, rank=0),  # 85 clusters: the last with 3
        Launch(4096, 4096, 4096, grid=170, cta=169, rank=1),
        Launch(4096, 4096, 4096, grid=256, cta=254, rank=0),  # 128 clusters: 2 each
        Launch(4096, 4096, 4096, grid=256, cta=255, rank=1),
        Launch(4096, 4096, 4096, grid=512, cta=510, rank=0),  # 256 clusters: the corner tile
        Launch(4096, 4096, 4096, grid=512, cta=511, rank=1),
        Launch(4096, 4096, 4096, grid=514, cta=512, rank=0),  # 257 clusters: the last idle
        Launch(4096, 4096, 4096, grid=514, cta=513, rank=1),
    ]
    counts = [len(Geometry.of(kernel, launch).output_tiles()) for launch in simulated]
    assert counts == [3, 3, 2, 2, 1, 1, 0, 0]


@pytest.mark.parametrize("work_tiles", range(1, 40))
def test_a_cluster_with_each_count_is_found_whenever_a_grid_gives_one(work_tiles: int) -> None:
    for count in WORK_TILES_PER_CTA:
        found = cluster_with_work_tiles(work_tiles, count)
        possible = {
            (clusters, cluster)
            for clusters in range(1, work_tiles + 2)
            for cluster in range(clusters)
            if -(-(work_tiles - cluster) // clusters) == count
        }
        assert found in possible if possible else found is None


# -- broken kernels ----------------------------------------------------------


def rejects(module: ModuleOp, message: str) -> str:
    with pytest.raises(PipeirError) as error:
        verify_pipeline(module)
    assert message in str(error.value)
    return str(error.value)


def small(**changes) -> ModuleOp:
    """One work tile of 4 full k-tiles through a 2-stage ring, the overlapped consumer unless
    `changes` say otherwise (the broken kernels below edit its two state chains)."""
    return gemm(GemmConfig(**{"m": 128, "n": 64, "k": 64, "tile": TILE, "stages": 2, "mma_in_flight": 1, **changes}))


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
        "deadlock: producer blocks in producer_tail on stage 1 (phase 1), "
        "consumer blocks on wait of stage 0 (phase 0) at k-tile 4",
    )


def test_rejects_a_fill_that_is_never_consumed() -> None:
    module = small()
    run_passes(module, HEADLINE_PIPELINE)  # the rolled producer: one loop over the k-tiles
    Rewriter.erase_op(ops_in(module, "producer", pipe.ProducerTailOp)[0])
    loads = ops_in(module, "producer", scf.ForOp)[1]
    more = arith.AddiOp(loads.ub, index(1, loads).result)
    Rewriter.insert_op(more, InsertPoint.before(loads))
    loads.operands[1] = more.result
    rejects(module, "unconsumed fill: the commit of stage 0 (phase 1) is never waited for")


def test_rejects_a_consumer_one_k_tile_short() -> None:
    module = small()
    inner = ops_in(module, "consumer", scf.ForOp)[1]
    fewer = arith.SubiOp(inner.ub, index(1, inner).result)
    Rewriter.insert_op(fewer, InsertPoint.before(inner))
    inner.operands[1] = fewer.result
    rejects(module, "epilogue of tile (0, 0) stores a wrong product: k-tile(s) 3 of 4 are never multiplied")


def test_rejects_a_mainloop_that_waits_before_filling() -> None:
    module = small(warp_specialize=False, mma_in_flight=0)
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
        "verify-pipeline: @gemm: protocol holds on 68 CTA launch(es) over 16 problem size(s)\n"
    )
