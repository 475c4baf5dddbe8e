"""The first run of pipeir's sm_100a kernels on a Blackwell GPU (B200, compute capability
10.0): correctness against a float64 product for 1-CTA and 2-CTA UMMAs, every dtype,
edge tiles in M and N, a K tail, M = 1, and more work tiles than clusters (the TMEM
accumulator buffers wrap); fused epilogues against the interpreter's meaning of their
region (pipeir.analysis.interp.evaluate_epilogue) applied to that product. Each case runs in its own process under a time limit, so a
wrong barrier count shows as a failed case, not a hung suite. Skipped on any other GPU
(the sm_100a kernels are compile-verified only until this passes: docs/lowering.md).

    python -m pytest tests/gpu/test_sm100_e2e.py -q
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(
        not torch.cuda.is_available() or torch.cuda.get_device_capability() != (10, 0),
        reason="needs a Blackwell (sm_100a) GPU",
    ),
]

TIME_LIMIT_S = 300  # the compile included; a hang is killed here
TOLERANCE = {"f16": 2e-3, "bf16": 1e-2, "f8e4m3": 3e-2, "f8e5m2": 6e-2}
ROWWISE_BIAS_SILU = {"scale": "rowwise", "bias": True, "activation": "silu"}
CASES = [
    # dtype, b_major, tile, cluster, (M, N, K) or None (a dynamic kernel), shapes, passes, epilogue
    ("bf16", "k", (128, 256, 64), (1, 1), None, [(128, 256, 64), (300, 520, 208), (1, 4096, 4096)], "headline", {}),
    ("bf16", "k", (128, 128, 64), (2, 1), None, [(300, 520, 208), (1000, 3000, 1024), (8192, 8192, 512)], "headline",
     {}),
    ("f16", "mn", (128, 128, 64), (2, 2), None, [(256, 256, 4016), (520, 1000, 64)], "headline", {}),
    ("f16", "k", (128, 64, 64), (1, 2), None, [(300, 520, 208)], "naive", {}),
    ("f8e4m3", "k", (128, 128, 128), (2, 1), (4096, 4096, 4096), [(4096, 4096, 4096)], "headline", {}),
    ("f8e4m3", "k", (128, 128, 128), (2, 1), (4096, 4096, 4096), [(4096, 4096, 4096)], "naive", {}),
    ("f8e5m2", "k", (128, 256, 128), (1, 1), None, [(1000, 3000, 1024)], "headline", {}),
    # fused epilogues: 1-CTA and 2-CTA, edge tiles (the operand reads' clamp), wrapping buffers
    ("f8e4m3", "k", (128, 128, 128), (2, 1), (4096, 4096, 4096), [(4096, 4096, 4096)], "headline", ROWWISE_BIAS_SILU),
    ("f8e4m3", "k", (128, 256, 128), (1, 1), None, [(300, 520, 208), (1000, 3000, 1024)], "headline",
     ROWWISE_BIAS_SILU),
    ("f8e4m3", "k", (128, 64, 128), (2, 2), None, [(300, 520, 208)], "headline", {"scale": "tensorwise"}),
    ("bf16", "k", (128, 128, 64), (2, 1), None, [(300, 520, 208), (8192, 8192, 512)], "headline",
     {"bias": True, "activation": "gelu"}),
    ("f16", "k", (128, 64, 64), (1, 2), None, [(300, 520, 208)], "naive", {"bias": True, "activation": "relu"}),
]

CHILD = r"""
import json, sys, torch, pipeir
from pipeir.analysis.interp import evaluate_epilogue
from pipeir.dialects import pipe
from pipeir.dialects.epi import Broadcast
from pipeir.passes import HEADLINE_PIPELINE
from pipeir.runtime.objects import TORCH_DTYPES
from pipeir.target.spec import GemmConfig
dtype, b_major, tile, cluster, problem, shapes, passes, epilogue = json.loads(sys.argv[1])
m, n, k = problem or (None, None, None)
config = GemmConfig(m=m, n=n, k=k, dtype=dtype, tile=tuple(tile), cluster=tuple(cluster), b_major=b_major,
                    arch="sm_100a", **epilogue)
kernel = pipeir.compile(config, passes=HEADLINE_PIPELINE if passes == "headline" else (), tune=False)
store = next(op for op in kernel.ir.walk() if isinstance(op, pipe.EpilogueOp))  # every store has one region
errors = []
for m, n, k in shapes:
    def operand(rows, cols):
        values = torch.randn(rows, cols, device="cuda").clamp(-4, 4)
        return values.to(TORCH_DTYPES[dtype])
    a = operand(m, k)
    b = operand(n, k) if b_major == "k" else operand(k, n)
    operands = {name: (torch.rand(Broadcast(broadcast).shape(m, n), device="cuda") + 0.5).to(operand_dtype)
                for name, broadcast, operand_dtype in kernel.operands}
    out = torch.full((m, n), float("nan"), device="cuda", dtype=kernel.c_dtype)
    kernel(a, b, out=out, **{name: value.reshape(-1) for name, value in operands.items()})  # a scalar: 1 element
    torch.cuda.synchronize()
    product = a.double() @ (b.double().t() if b_major == "k" else b.double())
    reference = evaluate_epilogue(store, product, {name: value.float() for name, value in operands.items()}).double()
    unwritten = int(out.isnan().sum())
    error = float((out.double() - reference).norm() / reference.norm())
    errors.append([m, n, k, unwritten, error])
print(json.dumps(errors))
"""


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[1]}-{'x'.join(map(str, c[2]))}-"
                         f"cluster{'x'.join(map(str, c[3]))}-{'static' if c[4] else 'dynamic'}-{c[6]}"
                         + "".join(f"-{key}={value}" for key, value in c[7].items()))
def test_sm100_kernel_is_correct(case) -> None:
    try:
        run = subprocess.run([sys.executable, "-c", CHILD, json.dumps(case)], capture_output=True, text=True,
                             timeout=TIME_LIMIT_S)
    except subprocess.TimeoutExpired:
        pytest.fail(f"no result in {TIME_LIMIT_S} s: the kernel hangs (check the barrier counts, docs/lowering.md)")
    assert run.returncode == 0, run.stderr[-3000:]
    for m, n, k, unwritten, error in json.loads(run.stdout.strip().splitlines()[-1]):
        assert unwritten == 0, f"{m}x{n}x{k}: {unwritten} outputs never written"
        assert error < TOLERANCE[case[0]], f"{m}x{n}x{k}: relative error {error:.2e}"
