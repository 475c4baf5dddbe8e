"""`pipeir.compile` (defined here): from a GEMM configuration or `pipe` IR to a callable on
torch tensors.

    kernel = pipeir.compile(GemmConfig(m=4096, n=4096, k=4096, dtype="bf16"))
    c = kernel(a, b)            # a: (M, K); b: (N, K) if K-major, (K, N) if MN-major
    kernel(a, b, out=c)

The IR runs through `passes` (the headline pipeline by default), is lowered to
CuTe DSL source in a cache file, and compiled once with `cute.compile(...,
"--enable-tvm-ffi")` on fake tensors. Calls validate their tensors before any
launch and raise TypeError / ValueError with the reason.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from xdsl.dialects.builtin import ModuleOp

from pipeir.build import GemmConfig, gemm
from pipeir.dialects import pipe
from pipeir.ir import verify_located
from pipeir.lower.cute_frame import load_kernel_module
from pipeir.lower.emit import lower_module
from pipeir.passes import HEADLINE_PIPELINE, run_passes
from pipeir.passes.verify_pipeline import verify_pipeline

TORCH_DTYPES = {
    "f16": torch.float16,
    "bf16": torch.bfloat16,
    "f8e4m3": torch.float8_e4m3fn,
    "f8e5m2": torch.float8_e5m2,
}


class GemmKernel:
    """A compiled GEMM; call it with CUDA tensors."""

    def __init__(self, module: ModuleOp, source: str, python_module, compiled):
        (self.kernel,) = [op for op in module.walk() if isinstance(op, pipe.KernelOp)]
        self.ir = module
        self.source = source
        self.python_module = python_module
        self._compiled = compiled
        self.a_dtype = TORCH_DTYPES[self.kernel.a_dtype.data]
        self.b_dtype = TORCH_DTYPES[self.kernel.b_dtype.data]
        self.c_dtype = TORCH_DTYPES[self.kernel.c_dtype.data]
        self.b_k_major = self.kernel.b_major.data == "k"

    def _check(self, name: str, tensor, dtype: torch.dtype, device=None) -> None:
        if not isinstance(tensor, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(tensor).__name__}")
        if tensor.dtype != dtype:
            raise TypeError(f"{name} must have dtype {dtype}, got {tensor.dtype}")
        if tensor.device.type != "cuda":
            raise ValueError(f"{name} is on {tensor.device}; pipeir kernels take CUDA tensors")
        if device is not None and tensor.device != device:
            raise ValueError(f"{name} is on {tensor.device} but a is on {device}")
        if tensor.dim() != 2:
            raise ValueError(f"{name} must be 2-D, got shape {tuple(tensor.shape)}")
        if tensor.stride(1) != 1 or tensor.stride(0) != tensor.shape[1]:
            raise ValueError(
                f"{name} must be contiguous row-major (strides ({tensor.shape[1]}, 1)), "
                f"got strides {tensor.stride()}"
            )
        if tensor.data_ptr() % 16:
            raise ValueError(f"{name} must start on a 16-byte boundary for TMA")
        if (tensor.shape[1] * tensor.element_size()) % 16:
            raise ValueError(
                f"{name}'s rows must be a multiple of 16 bytes for TMA, got "
                f"{tensor.shape[1]} x {tensor.element_size()} bytes"
            )

    def __call__(self, a: torch.Tensor, b: torch.Tensor, out: torch.Tensor | None = None) -> torch.Tensor:
        self._check("a", a, self.a_dtype)
        self._check("b", b, self.b_dtype, a.device)
        m, k = a.shape
        n, b_k = b.shape if self.b_k_major else (b.shape[1], b.shape[0])
        if b_k != k:
            layout = "(N, K)" if self.b_k_major else "(K, N)"
            raise ValueError(f"a is (M, K) = {tuple(a.shape)} but b {layout} = {tuple(b.shape)} has K = {b_k}")
        for dim, size, static in zip("MNK", (m, n, k), self.kernel.problem_shape):
            if static != pipe.DYNAMIC and size != static:
                raise ValueError(f"this kernel was compiled for {dim} = {static}, got {size}")
        if out is None:
            out = torch.empty((m, n), dtype=self.c_dtype, device=a.device)
        else:
            self._check("out", out, self.c_dtype, a.device)
            if tuple(out.shape) != (m, n):
                raise ValueError(f"out must have shape {(m, n)}, got {tuple(out.shape)}")
        self._compiled(a, b, out)
        return out


def compile(source: ModuleOp | GemmConfig, passes: Sequence[str] = HEADLINE_PIPELINE) -> GemmKernel:  # noqa: A001
    """Compile a configuration (built in the naive form) or a `pipe` module."""
    module = gemm(source) if isinstance(source, GemmConfig) else source.clone()
    verify_located(module)
    run_passes(module, passes)
    verify_pipeline(module)  # a wrong ring protocol deadlocks on the GPU without a word
    text = lower_module(module)
    python_module = load_kernel_module(text)
    return GemmKernel(module, text, python_module, python_module.compile_kernel())
