"""Every form the GPU suite runs also compiles here, for sm_90a on the CPU: naive and
optimized, static and dynamic problem sizes, the serial and the overlapped consumer,
walks in bands.

A lowering rule whose CuTe DSL code is only valid in some control flow (a value defined
inside one loop or branch and used in another) fails in CuTe DSL's IR verifier, at
compile time: this catches it without a GPU."""

import os

import pytest

os.environ.setdefault("CUTE_DSL_ARCH", "sm_90a")
pytest.importorskip("cutlass")

from pipeir.build import gemm  # noqa: E402
from pipeir.lower import lower_module  # noqa: E402
from pipeir.passes import HEADLINE_PIPELINE, run_passes  # noqa: E402
from pipeir.runtime.sources import load_kernel_module  # noqa: E402
from pipeir.target.spec import GemmConfig  # noqa: E402

pytestmark = pytest.mark.slow

FORMS = {"naive": (), "optimized": HEADLINE_PIPELINE}
CASES = [
    # (form, problem (None: dynamic), dtype, cluster, tile, mma_in_flight, raster_group)
    ("naive", (2048, 2048, 1024), "f16", (1, 2), (128, 128, 64), 1, None),
    ("naive", (4096, 4096, 4096), "bf16", (2, 1), None, 0, None),
    ("naive", (None, None, None), "bf16", (1, 1), None, 1, 3),
    ("optimized", (None, None, None), "f8e5m2", (2, 1), None, 1, None),
    ("optimized", (None, None, None), "bf16", (1, 1), (128, 128, 64), 0, None),
    ("optimized", (4096, 4096, 4096), "f16", (1, 2), (256, 128, 64), 1, 8),
]


@pytest.mark.parametrize("form, problem, dtype, cluster, tile, mma_in_flight, raster_group", CASES)
def test_form_compiles(tmp_path, form, problem, dtype, cluster, tile, mma_in_flight, raster_group) -> None:
    m, n, k = problem
    config = GemmConfig(m=m, n=n, k=k, dtype=dtype, cluster=cluster, tile=tile, mma_in_flight=mma_in_flight,
                        raster_group=raster_group)
    module = gemm(config)
    run_passes(module, FORMS[form])
    load_kernel_module(lower_module(module), tmp_path).compile_kernel()


SPLIT_K_CASES = {
    # the decode schedule pipeir.matmul picks at 4096x14336 (dynamic M)
    "bf16-swap_ab-128x32-split2": (GemmConfig(m=None, n=4096, k=14336, tile=(128, 32, 128), swap_ab=True,
                                              raster="n", split_k=2), HEADLINE_PIPELINE),
    "f8e4m3-rowwise-bias-128x64-split3-naive": (GemmConfig(m=None, n=None, k=None, dtype="f8e4m3",
                                                           tile=(128, 64, 128), split_k=3, scale="rowwise",
                                                           bias=True), ()),
    "f16-128x256-2x1-split2": (GemmConfig(m=100, n=1000, k=5000, dtype="f16", tile=(128, 256, 64),
                                          cluster=(2, 1), split_k=2), HEADLINE_PIPELINE),
}


@pytest.mark.parametrize("case", list(SPLIT_K_CASES))
def test_split_k_forms_compile_without_spills(tmp_path, case) -> None:
    """Split-K kernels (the reduction's stores, ticket and ordered sum beside the largest
    accumulator tile) compile for sm_90a with no spills and vectorised workspace traffic."""
    from pipeir.tools import stats as sass_stats

    try:
        sass_stats.find_nvdisasm()
    except sass_stats.MissingDisassembler as missing:  # the wheel is installed by `make test`
        pytest.skip(str(missing))
    config, passes = SPLIT_K_CASES[case]
    module = gemm(config)
    run_passes(module, passes)
    python_module = load_kernel_module(lower_module(module), tmp_path)
    sass = tmp_path / "kernel.sass"
    (only,) = sass_stats.stats_for_module(python_module, dump_dir=str(tmp_path / "dump"),
                                          sass_out=str(sass)).values()
    assert only.gmma > 0 and only.spills == 0 and only.frame_size == 0
    text = sass.read_text()
    assert "ATOMG.E.ADD" in text and "STG.E.128" in text and "LDG.E.128" in text
