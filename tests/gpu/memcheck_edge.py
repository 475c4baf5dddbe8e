"""One M/N-edge, K-tail GEMM for `compute-sanitizer --tool memcheck` (run as a
script on the GPU machine; exits non-zero on a wrong result)."""

import sys

import torch

import pipeir
from pipeir.target.spec import GemmConfig

M, N, K = 300, 520, 200
kernel = pipeir.compile(GemmConfig(m=M, n=N, k=K, dtype="bf16", tile=(128, 128, 64), cluster=(2, 1)), tune=False)
a = torch.randn(M, K, device="cuda", dtype=torch.bfloat16)
b = torch.randn(N, K, device="cuda", dtype=torch.bfloat16)
out = kernel(a, b)
torch.cuda.synchronize()
error = ((out.double() - a.double() @ b.double().t()).norm() / (a.double() @ b.double().t()).norm()).item()
print(f"edge case {M}x{N}x{K}: relative error {error:.2e}")
sys.exit(0 if error < 1e-2 else 1)
