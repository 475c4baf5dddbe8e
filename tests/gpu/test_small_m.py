"""Regression: M = 1 (and other M smaller than a tile) on static and dynamic kernels.

A static M of 1 used to raise "illegal instruction" and leave the CUDA context unusable:
CuTe treats a static extent of 1 as a trivial mode, and the TMA descriptors built over it
faulted. Each case runs in a fresh process, so a device fault fails its case alone."""

import os
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.gpu

CASE = textwrap.dedent(
    """
    import sys, torch
    import pipeir
    from pipeir.target.spec import GemmConfig
    m, n, k, static = (int(v) for v in sys.argv[1:])
    a = torch.randn(m, k, device="cuda").bfloat16()
    b = torch.randn(n, k, device="cuda").bfloat16()
    if static:
        kernel = pipeir.compile(GemmConfig(m=m, n=n, k=k, dtype="bf16"), tune=False)
        c = torch.full((m, n), float("nan"), device="cuda", dtype=torch.bfloat16)
        kernel(a, b, out=c)
    else:
        c = pipeir.matmul(a, b.t())
    reference = a.float() @ b.float().t()
    print(((c.float() - reference).norm() / reference.norm()).item())
    """
)


@pytest.mark.parametrize("m", [1, 2, 3, 7, 8, 9])
@pytest.mark.parametrize("static", [True, False], ids=["static", "matmul"])
def test_small_m(m, static) -> None:
    result = subprocess.run(
        [sys.executable, "-c", CASE, str(m), "4096", "4096", str(int(static))],
        capture_output=True, text=True, timeout=300, check=False,
        env=dict(os.environ, PIPEIR_TUNE="0"),  # the builder's defaults: no tuning run per M
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert float(result.stdout.split()[-1]) < 1e-2
