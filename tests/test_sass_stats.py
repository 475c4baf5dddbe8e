"""Static SASS checks without a GPU: the naive and the fully optimized form of a
static-full bf16 4096^3 GEMM with 8 stages, lowered from pipe IR and compiled
for sm_90a on the CPU. Fails if rolling stops reducing the TMA-load sites or a
cluster-rank read (S2UR) comes back into a K loop."""

import os

import pytest

os.environ.setdefault("CUTE_DSL_ARCH", "sm_90a")
pytest.importorskip("cutlass")

from pipeir.build import gemm
from pipeir.target.spec import GemmConfig  # noqa: E402
from pipeir.passes import HEADLINE_PIPELINE, run_passes  # noqa: E402
from pipeir.tools import stats as sass_stats  # noqa: E402
from pipeir.runtime.sources import load_kernel_module, write_kernel_source  # noqa: E402
from pipeir.lower import lower_module  # noqa: E402

pytestmark = pytest.mark.slow

CONFIG = GemmConfig(m=4096, n=4096, k=4096, dtype="bf16", tile=(128, 64, 64), stages=8, cluster=(2, 1))


def stats(tmp_path_factory, passes) -> sass_stats.SassStats:
    module = gemm(CONFIG)
    run_passes(module, passes)
    cache = tmp_path_factory.mktemp("kernels")
    python_module = load_kernel_module(lower_module(module), cache)
    (only,) = sass_stats.stats_for_module(python_module, dump_dir=str(cache / "dump")).values()
    return only


@pytest.fixture(scope="module")
def naive(tmp_path_factory):
    return stats(tmp_path_factory, ())


@pytest.fixture(scope="module")
def optimized(tmp_path_factory):
    return stats(tmp_path_factory, HEADLINE_PIPELINE)


def test_both_use_tma_wgmma_and_no_spills(naive, optimized) -> None:
    for kernel in (naive, optimized):
        assert kernel.utmaldg > 0 and kernel.gmma > 0 and kernel.utmastg > 0
        assert kernel.spills == 0 and kernel.registers


def test_rolled_kernel_has_fewer_tma_load_sites(naive, optimized) -> None:
    assert optimized.utmaldg < naive.utmaldg, (optimized.summary(), naive.summary())
    assert optimized.utmaldg == 2  # one site per operand
    assert naive.utmaldg == 2 * (CONFIG.stage_count + 1)


def test_no_cluster_rank_read_inside_a_k_loop(optimized) -> None:
    assert optimized.num_k_loops >= 2  # producer and consumer
    assert optimized.s2ur_in_k_loop == 0, optimized.s2ur_sites


def test_optimized_kernel_is_smaller(naive, optimized) -> None:
    assert optimized.instructions < naive.instructions
    assert optimized.syncs < naive.syncs


def test_source_cache_is_keyed_by_content(tmp_path) -> None:
    source = lower_module(gemm(CONFIG))
    first = write_kernel_source(source, tmp_path)
    assert write_kernel_source(source, tmp_path) == first and first.read_text() == source


def test_parse_sass_finds_loops_and_s2ur() -> None:
    sass = """
        .section .text.k,"ax",@progbits
        /*0000*/   MOV R1, c[0x0][0x28] ;
.L_x_0:
        /*0010*/   S2UR UR4, SR_CgaCtaId ;
        /*0020*/   UTMALDG.2D [UR8], [UR10], desc[URZ] ;
        /*0030*/   @P0 BRA `(.L_x_0) ;
        /*0040*/   S2UR UR5, SR_CTAID.X ;
        /*0050*/   EXIT ;
"""
    kernel = sass_stats.parse_sass(sass)["k"]
    assert kernel.utmaldg == 1 and kernel.s2ur == 2
    assert kernel.s2ur_in_loop == 1 and kernel.s2ur_in_k_loop == 1
    assert kernel.num_k_loops == 1 and kernel.instructions == 6
