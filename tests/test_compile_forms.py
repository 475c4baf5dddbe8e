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
