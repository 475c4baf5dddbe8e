"""verify-pipeline's proof holds for symbolic sizes and covers the product.

Held-out broken kernels of issue 13, each made from builder output by changing a
few ops, must be rejected with a located error; both consumer shapes (serial and
one WGMMA batch in flight) must stay accepted. See docs/reliability.md."""

import re

import pytest
from xdsl.dialects import arith, scf
from xdsl.dialects.builtin import IntegerAttr, ModuleOp
from xdsl.rewriter import InsertPoint, Rewriter

from pipeir.analysis.interp import Geometry, kernel_of, make_launch, trace_kernel
from pipeir.analysis.protocol import max_k_tiles, problem_sizes, verify_pipeline
from pipeir.build import gemm
from pipeir.dialects import pipe
from pipeir.ir import PipeirError, make_context, parse_module
from pipeir.passes import HEADLINE_PIPELINE, run_passes
from pipeir.target.spec import GemmConfig
from pipeir.tools.fuzz import recheck_at_static_k

from kernel_edits import index, ops_in

TILE = (128, 64, 16)
SERIAL, ONE_IN_FLIGHT = 0, 1


def located(module: ModuleOp) -> tuple[list[str], ModuleOp]:
    """`module` printed and parsed again as `kernel.mlir`, so that errors have lines."""
    text = str(module)
    return text.splitlines(), parse_module(make_context(), text, "kernel.mlir")


def rejects(module: ModuleOp, message: str, at: str) -> str:
    """verify-pipeline rejects `module` with `message`, located at a line holding `at`."""
    lines, module = located(module)
    with pytest.raises(PipeirError) as error:
        verify_pipeline(module)
    text = str(error.value)
    assert message in text, text
    match = re.match(r"kernel\.mlir:(\d+):\d+: error: ", text)
    assert match and at in lines[int(match[1]) - 1], text
    return text


def config(**changes) -> GemmConfig:
    return GemmConfig(**{"m": None, "n": None, "k": None, "tile": TILE, "stages": 3, **changes})


# -- both consumer shapes are accepted ----------------------------------------------


@pytest.mark.parametrize("in_flight", [SERIAL, ONE_IN_FLIGHT])
@pytest.mark.parametrize("cluster", [(1, 1), (2, 1), (1, 2), (2, 2)])
@pytest.mark.parametrize("sizes", [(None, None, None), (200, 100, 117), (384, 192, 16)])
def test_accepts_both_consumer_shapes(in_flight, cluster, sizes) -> None:
    module = gemm(config(m=sizes[0], n=sizes[1], k=sizes[2], cluster=cluster, mma_in_flight=in_flight))
    assert verify_pipeline(module)["gemm"]
    run_passes(module, HEADLINE_PIPELINE)
    assert verify_pipeline(module)["gemm"]


# -- WGMMA batches: mma_wait ----------------------------------------------------------


def test_rejects_a_serial_consumer_without_its_mma_wait() -> None:
    module = gemm(config(mma_in_flight=SERIAL))
    for wait in ops_in(module, "consumer", pipe.MmaWaitOp):
        Rewriter.erase_op(wait)
    rejects(module, "while WGMMA still reads it: the mma at kernel.mlir:", at="pipe.release")


def test_rejects_a_release_before_the_mma_wait() -> None:
    module = gemm(config(mma_in_flight=SERIAL))
    for release in ops_in(module, "consumer", pipe.ReleaseOp):
        wait = next(op for op in release.parent_block().ops if isinstance(op, pipe.MmaWaitOp))
        release.detach()
        Rewriter.insert_op(release, InsertPoint.before(wait))
    rejects(module, "release of stage 0 (phase 0) at k-tile 0 of tile (2, 0) while WGMMA still reads it", at="pipe.release")


def drain(module: ModuleOp) -> tuple[pipe.MmaWaitOp, pipe.ReleaseOp]:
    """The one-in-flight consumer's mma_wait pending(0) after its K loop, and the
    release of the last k-tile's stage that follows it."""
    (wait,) = [op for op in ops_in(module, "consumer", pipe.MmaWaitOp) if op.pending_count == 0]
    assert isinstance(wait.next_op, pipe.ReleaseOp)
    return wait, wait.next_op


def test_rejects_pending_1_before_the_last_release() -> None:
    module = gemm(config(mma_in_flight=ONE_IN_FLIGHT))
    wait, _ = drain(module)
    Rewriter.replace_op(wait, pipe.MmaWaitOp(1))
    rejects(module, "release of stage 0 (phase 0) at k-tile 0 of tile (2, 0) while WGMMA still reads it", at="pipe.release")


def test_rejects_an_epilogue_with_a_batch_in_flight() -> None:
    module = gemm(config(mma_in_flight=ONE_IN_FLIGHT))
    wait, release = drain(module)
    Rewriter.erase_op(release)
    Rewriter.replace_op(wait, pipe.MmaWaitOp(1))
    rejects(module, "epilogue of tile (2, 0) while 1 WGMMA batch(es) are in flight", at="pipe.epilogue")


def test_rejects_a_loop_that_keeps_two_batches_in_flight() -> None:
    module = gemm(config(mma_in_flight=ONE_IN_FLIGHT))
    for wait in ops_in(module, "consumer", pipe.MmaWaitOp):
        if wait.pending_count == 1:
            Rewriter.erase_op(wait)
    rejects(module, "release of stage 0 (phase 0) at k-tile 0 of tile (2, 0) while WGMMA still reads it", at="pipe.release")


def test_rejects_an_mma_after_its_release() -> None:
    module = gemm(config(mma_in_flight=SERIAL))
    for mma in ops_in(module, "consumer", pipe.MmaOp):
        release = next(op for op in mma.parent_block().ops if isinstance(op, pipe.ReleaseOp))
        mma.detach()
        Rewriter.insert_op(mma, InsertPoint.after(release))
    rejects(module, "mma of stage 0 (phase 0) at k-tile 0 of tile (2, 0) while the consumer holds no wait", at="pipe.mma")


def test_rejects_an_mma_without_acc_init() -> None:
    module = gemm(config(mma_in_flight=SERIAL))
    Rewriter.erase_op(ops_in(module, "consumer", pipe.AccInitOp)[0])
    rejects(module, "without an acc_init since the last epilogue", at="pipe.mma")


# -- every k-tile count, with and without a tail ----------------------------------------


def test_dynamic_k_is_simulated_at_every_k_tile_count_up_to_2s_plus_2() -> None:
    stages = 5
    kernel = kernel_of(gemm(config(m=128, n=64, stages=stages)))
    k_tiles = [Geometry((128, 64, 16), (1, 1), "m", 1, make_launch(kernel, k=k)).k_tiles for _, _, k in problem_sizes(kernel)]
    tails = [k % 16 != 0 for _, _, k in problem_sizes(kernel)]
    assert k_tiles == [count for count in range(1, max_k_tiles(stages) + 1) for _ in (0, 1)]
    assert tails == [True, False] * max_k_tiles(stages)


def prologue_guard_uses_k_tile_full(module: ModuleOp, position: int) -> ModuleOp:
    """The naive producer's prologue guard of k-tile `position` tests k_tile_full
    where it needs k_tile_fits: a partial last k-tile there is never loaded."""
    prologue = [op for op in ops_in(module, "producer", pipe.KTileFitsOp) if isinstance(op.k_tile.owner, arith.ConstantOp)]
    fits = prologue[position]
    Rewriter.replace_op(fits, pipe.KTileFullOp(fits.k_tile))
    return module


@pytest.mark.parametrize("position", range(4))
@pytest.mark.parametrize("in_flight", [SERIAL, ONE_IN_FLIGHT])
def test_rejects_a_prologue_guard_that_needs_a_full_k_tile_at_dynamic_k(position, in_flight) -> None:
    # Fuzz seed 0 case 756 was such a kernel (4 stages, dynamic K): it deadlocks at K =
    # 1.5, 2.5 or 3.5 k-tiles, sizes the old sweep did not try.
    module = prologue_guard_uses_k_tile_full(gemm(config(stages=4, mma_in_flight=in_flight)), position)
    # At the first K whose last k-tile is `position`, partial: with nothing loaded the
    # consumer waits forever; else a work tile's consumer runs on into the next tile's fills.
    if position == 0:
        rejects(module, "deadlock: producer has finished, consumer blocks on wait", at="pipe.wait")
    else:
        rejects(module, "reads a fill of A row 2 and B column 1 (committed at kernel.mlir:", at="pipe.mma")


def test_the_same_guard_is_harmless_where_k_is_whole_k_tiles() -> None:
    module = prologue_guard_uses_k_tile_full(gemm(config(stages=4, k=16 * 3)), 2)
    assert verify_pipeline(module)["gemm"]


# -- the product: each (work tile, k-tile) loaded and multiplied once -------------------


def rolled(**changes) -> ModuleOp:
    module = gemm(config(**changes))
    run_passes(module, HEADLINE_PIPELINE)
    return module


def shorten(loop: scf.ForOp) -> None:
    fewer = arith.SubiOp(loop.ub, index(1, loop).result)
    Rewriter.insert_op(fewer, InsertPoint.before(loop))
    loop.operands[1] = fewer.result


def test_rejects_both_k_loops_one_k_tile_short() -> None:
    module = rolled(mma_in_flight=SERIAL)
    shorten(ops_in(module, "producer", scf.ForOp)[1])
    shorten(ops_in(module, "consumer", scf.ForOp)[1])
    rejects(module, "stores a wrong product: k-tile(s) 0 of 1 are never multiplied", at="pipe.epilogue")


def test_rejects_both_k_loops_one_k_tile_short_with_a_batch_in_flight() -> None:
    # The consumer issues k-tile 0 before its loop: with one k-tile it waits for a
    # fill the shortened producer never makes.
    module = rolled(mma_in_flight=ONE_IN_FLIGHT)
    shorten(ops_in(module, "producer", scf.ForOp)[1])
    shorten(ops_in(module, "consumer", scf.ForOp)[1])
    rejects(module, "deadlock: producer has finished, consumer blocks on wait of stage 0 (phase 0) at k-tile 0", at="pipe.wait")


def test_rejects_both_copies_loading_k_tile_0() -> None:
    module = rolled()
    for copy in ops_in(module, "producer", pipe.CopyOp):
        copy.operands[1] = index(0, copy).result
    rejects(module, "stores a wrong product: k-tile 0 is multiplied twice", at="pipe.mma")


def test_rejects_a_producer_loading_another_tile() -> None:
    # Tiles (0, 0) and (1, 0): rows 0 and 1 of A. The producer loads A's row 0 always.
    module = rolled(m=256, n=64, k=64)
    copy_a = next(c for c in ops_in(module, "producer", pipe.CopyOp) if c.operand.data == "a")
    copy_a.operands[0] = index(0, copy_a).result
    rejects(module, "reads a fill of A row 0 and B column 0", at="pipe.mma")


def test_rejects_a_consumer_short_only_for_one_tile_index() -> None:
    module = rolled(mma_in_flight=SERIAL)
    tile_loop, k_loop = ops_in(module, "consumer", scf.ForOp)[:2]
    tile = tile_loop.body.block.args[0]
    one = index(1, k_loop)
    is_tile_1 = arith.CmpiOp(tile, one.result, "eq")
    fewer = arith.SubiOp(k_loop.ub, one.result)
    bound = arith.SelectOp(is_tile_1.result, fewer.result, k_loop.ub)
    for op in (is_tile_1, fewer, bound):
        Rewriter.insert_op(op, InsertPoint.before(k_loop))
    k_loop.operands[1] = bound.result
    rejects(module, "the work tile of the persistent loop is used by 'arith.cmpi'", at="arith.cmpi")


def test_rejects_a_producer_that_skips_a_work_tile() -> None:
    module = rolled()
    tile_loop = ops_in(module, "producer", scf.ForOp)[0]
    step = arith.AddiOp(tile_loop.step, index(0, tile_loop).result)
    Rewriter.insert_op(step, InsertPoint.before(tile_loop))
    tile_loop.operands[2] = step.result
    rejects(module, "an scf.for that is not the persistent loop", at="scf.for")


def test_rejects_an_unmasked_edge_tile() -> None:
    module = gemm(config())
    for epilogue in ops_in(module, "consumer", pipe.EpilogueOp):
        epilogue.properties["masked"] = IntegerAttr.from_bool(False)
    rejects(module, "unmasked epilogue of tile (2, 0): the tile reaches past M x N", at="pipe.epilogue")


def test_rejects_a_consumer_that_stores_no_tile() -> None:
    module = gemm(config(m=128, n=64))
    (choice,) = [op for op in ops_in(module, "consumer", scf.IfOp) if isinstance(op.cond.owner, pipe.MnTileFullOp)]
    Rewriter.erase_op(choice)
    rejects(module, "the consumer stores 0 of the 1 work tile(s) of its CTA: tile (0, 0) is never stored", at="pipe.role consumer")


# -- multicast needs a producer_tail ------------------------------------------------------


@pytest.mark.parametrize("cluster", [(2, 1), (1, 2), (2, 2)])
def test_rejects_a_multicast_producer_without_producer_tail(cluster) -> None:
    module = gemm(config(cluster=cluster))
    Rewriter.erase_op(ops_in(module, "producer", pipe.ProducerTailOp)[0])
    rejects(module, "missing producer_tail: the producer multicasts", at="pipe.commit")


def test_accepts_a_producer_without_producer_tail_that_does_not_multicast() -> None:
    module = gemm(config(cluster=(1, 1)))
    Rewriter.erase_op(ops_in(module, "producer", pipe.ProducerTailOp)[0])
    assert verify_pipeline(module)["gemm"]


# -- the schedule the interpreter runs is the lowering's ----------------------------------


@pytest.mark.parametrize("raster", ["m", "n"])
@pytest.mark.parametrize("cluster", [(1, 1), (2, 1), (1, 2), (2, 2)])
@pytest.mark.parametrize("raster_group", [None, 2, 4])
def test_the_ctas_of_a_grid_store_every_output_tile_once(raster, cluster, raster_group) -> None:
    # 5 x 3 output tiles: clusters of two along a dimension overhang it, and bands of 2
    # leave a last band one cluster tile wide.
    module = gemm(config(m=5 * 128, n=3 * 64, k=32, cluster=cluster, raster=raster, raster_group=raster_group))
    cluster_size = cluster[0] * cluster[1]
    for clusters in (1, 2, 4):
        stored = []
        for cta in range(clusters * cluster_size):
            trace = trace_kernel(module, grid=clusters * cluster_size, cta=cta)
            stored += [e.tile for e in trace["consumer"] if e.kind == "epilogue"]
        inside = [tile for tile in stored if tile[0] < 5 and tile[1] < 3]
        assert sorted(inside) == [(m, n) for m in range(5) for n in range(3)]
        assert len(stored) == len(set(stored))


def test_rejects_roles_that_do_nothing() -> None:
    module = gemm(config(m=128, n=64))
    for role in kernel_of(module).roles:
        for op in reversed(list(role.body.block.ops)):
            Rewriter.erase_op(op)
    rejects(module, "the consumer stores 0 of the 1 work tile(s) of its CTA", at="pipe.role consumer")


# -- the fuzzer's re-verification at static K ----------------------------------------------


def test_the_fuzzer_re_verifies_dynamic_k_kernels_at_every_static_k() -> None:
    stages = 4
    valid = gemm(config(m=128, n=256, stages=stages))
    check = recheck_at_static_k(str(valid))
    assert check.sizes == 2 * max_k_tiles(stages) and check.failures == []
    broken = prologue_guard_uses_k_tile_full(gemm(config(m=128, n=256, stages=stages)), 1)
    failures = recheck_at_static_k(str(broken)).failures
    # k-tile 1 partial: 1.5 k-tiles only (with more, the steady loop's guard loads it).
    assert [failure.split(":")[0] for failure in failures] == ["K=24"]
    assert recheck_at_static_k(str(gemm(config(m=128, n=256, k=64)))) is None


def test_a_grid_is_whole_clusters() -> None:
    module = gemm(config(m=256, n=64, k=32, cluster=(2, 1)))
    with pytest.raises(PipeirError, match="a grid of 3 CTAs is not a positive multiple of the 2x1 cluster"):
        trace_kernel(module, grid=3, cta=0)


def test_rejects_a_negative_pending_count() -> None:
    # Fuzz seed 0 cases 766 and 2065: a 'mainloop' kernel with pending(-1) got past the
    # dialect's verifier and raised IndexError out of the replay; pipe.mma_wait's own
    # verifier rejects it now, before any simulation.
    module = gemm(config(warp_specialize=False))
    wait = ops_in(module, "mainloop", pipe.MmaWaitOp)[-1]  # the K tail's branch
    Rewriter.replace_op(wait, pipe.MmaWaitOp(-1))
    rejects(module, "mma_wait pending(-1): batches left in flight cannot be negative", at="pipe.mma_wait")
