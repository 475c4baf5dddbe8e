"""`GemmKernel`: a compiled GEMM, callable on torch tensors.

Bad tensors raise TypeError / ValueError with the reason before any launch; a call
on a static-shape kernel with `out=` given leaves those checks to the TVM-FFI entry
point (dtype, shape, strides, 16-byte alignment, device) and explains its rejections
afterwards, so the hit path costs little more than the bare TVM-FFI call.
"""

from __future__ import annotations

import torch
from xdsl.dialects.builtin import ModuleOp

from pipeir.analysis.interp import kernel_of
from pipeir.dialects import epi, pipe
from pipeir.runtime.objects import TORCH_DTYPES, LoadedFunction
from pipeir.runtime.workspace import SplitKWorkspace, with_split_k_buffers
from pipeir.target.spec import GemmConfig


class GemmKernel:
    """A compiled GEMM; call it with CUDA tensors."""

    def __init__(self, module: ModuleOp, source: str, loaded: LoadedFunction, config: GemmConfig | None):
        self.kernel = kernel_of(module)
        self.ir = module
        self.source = source
        self.config = config
        """The configuration built, with the tuner's choices filled in (None for IR input)."""
        self.origin = loaded.origin
        self.function = loaded.function
        """The bare TVM-FFI entry point: function(a, b, c, *operands), no checks beyond
        TVM-FFI's own (a split-K kernel's appends its workspace and tickets for c's
        device and the current stream: pipeir.runtime.workspace)."""
        if self.kernel.split_k_count > 1:
            self.function = with_split_k_buffers(loaded.function, SplitKWorkspace(self.kernel))
        self.operands = [
            (op.operand_name, op.broadcast_kind, TORCH_DTYPES[op.dtype_name])
            for op in epi.declared_operands(self.kernel)
        ]
        """(name, broadcast, dtype) of the epilogue operands the kernel takes after C, in order:
        a scalar as a 1-element vector, an (M,) or (N,) vector, an (M, N) row-major matrix."""
        self.a_dtype = TORCH_DTYPES[self.kernel.a_dtype_name]
        self.b_dtype = TORCH_DTYPES[self.kernel.b_dtype_name]
        self.c_dtype = TORCH_DTYPES[self.kernel.c_dtype_name]
        self.b_k_major = self.kernel.b_major.data == "k"
        self.gated = epi.gate_of(self.kernel) is not None
        """The epilogue gates column pairs (SwiGLU): out has N / 2 columns."""
        problem = self.kernel.product_shape
        self.static_shape = None if pipe.DYNAMIC in problem else problem
        self.output_shape = None if self.static_shape is None else self.out_shape(*problem[:2])
        self.m_lo, self.m_hi = 1, float("inf")
        """The rows of A this kernel is the chosen schedule for (pipeir.matmul narrows it
        to the kernel's M class); it computes any M its problem allows."""

    def out_shape(self, m: int, n: int) -> tuple[int, int]:
        """The output's shape for the product's (M, N)."""
        return (m, n // 2) if self.gated else (m, n)

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
        if tensor.numel() and (tensor.stride(1) != 1 or tensor.stride(0) != tensor.shape[1]):
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

    def ordered_operands(self, given: dict) -> list:
        """The epilogue operands by name, in the kernel's order (TypeError for a missing or
        unknown one)."""
        names = [name for name, _, _ in self.operands]
        unknown = sorted(set(given) - set(names))
        missing = [name for name in names if name not in given]
        if unknown or missing:
            takes = ", ".join(names) or "no epilogue operands"
            raise TypeError(
                f"this kernel takes {takes}; "
                + (f"got unknown {', '.join(unknown)}" if unknown else f"missing {', '.join(missing)}"))
        return [given[name] for name in names]

    def validate_operands(self, operands: list, m: int, n: int, device) -> None:
        for (name, broadcast, dtype), tensor in zip(self.operands, operands):
            if not isinstance(tensor, torch.Tensor):
                raise TypeError(f"{name} must be a torch.Tensor, got {type(tensor).__name__}")
            if tensor.dtype != dtype:
                raise TypeError(f"{name} must have dtype {dtype}, got {tensor.dtype}")
            if tensor.device != device:
                raise ValueError(f"{name} is on {tensor.device} but a is on {device}")
            shape = epi.Broadcast(broadcast).shape(m, n) or (1,)
            if tuple(tensor.shape) != shape or not tensor.is_contiguous():
                raise ValueError(
                    f"{name} must be a contiguous tensor of shape {shape}, got shape {tuple(tensor.shape)} "
                    f"and strides {tensor.stride()}")

    def validate(self, a, b, out, operands=()) -> tuple[int, int]:
        """Raise TypeError / ValueError naming what is wrong; returns (M, N)."""
        self._check("a", a, self.a_dtype)
        self._check("b", b, self.b_dtype, a.device)
        m, k = a.shape
        n, b_k = b.shape if self.b_k_major else (b.shape[1], b.shape[0])
        if b_k != k:
            layout = "(N, K)" if self.b_k_major else "(K, N)"
            raise ValueError(f"a is (M, K) = {tuple(a.shape)} but b {layout} = {tuple(b.shape)} has K = {b_k}")
        for dim, size, static in zip("MNK", (m, n, k), self.kernel.product_shape):
            if static != pipe.DYNAMIC and size != static:
                raise ValueError(f"this kernel was compiled for {dim} = {static}, got {size}")
        if out is not None:
            self._check("out", out, self.c_dtype, a.device)
            if tuple(out.shape) != self.out_shape(m, n):
                raise ValueError(f"out must have shape {self.out_shape(m, n)}, got {tuple(out.shape)}")
        self.validate_operands(operands, m, n, a.device)
        return m, n

    def __call__(self, a: torch.Tensor, b: torch.Tensor, out: torch.Tensor | None = None,
                 **operands: torch.Tensor) -> torch.Tensor:
        """out = the kernel's epilogue of a @ b; the epilogue operands (`self.operands`) by name."""
        ordered = self.ordered_operands(operands) if operands or self.operands else []
        if out is not None and self.static_shape is not None:
            # The hit path: TVM-FFI checks dtypes, shapes, strides, 16-byte alignment and
            # device itself; a rejection is explained in pipeir's words.
            try:
                self.function(a, b, out, *ordered)
            except (TypeError, ValueError):
                self.validate(a, b, out, ordered)
                raise
            return out
        m, n = self.validate(a, b, out, ordered)
        if out is None:
            out = torch.empty(self.out_shape(m, n), dtype=self.c_dtype, device=a.device)
        if a.shape[1] == 0:
            if self.operands:
                raise ValueError("K = 0: this kernel's epilogue would apply to an empty sum; pipeir does not "
                                 "launch it (compute the epilogue of zeros instead)")
            # Like torch.matmul: an empty sum. The kernel itself needs K >= 1 (a work
            # tile's first MMA overwrites the accumulators instead of adding to zeros).
            return out.zero_()
        if m and n:
            self.function(a, b, out, *ordered)
        return out
