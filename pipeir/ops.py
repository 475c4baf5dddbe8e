"""pipeir's kernels as PyTorch custom operators: `torch.ops.pipeir.mm` and
`torch.ops.pipeir.scaled_mm`.

Each op has a schema, a fake (meta) implementation that gives the output's shape and
dtype without running anything (so torch.compile, torch.export, FakeTensorMode and
CUDA graphs see through it), and the real implementation, which calls the eager entry
point (`pipeir.api.matmul`, `pipeir.api.scaled_mm`) and its cached kernels. `mm` also
has an autograd formula whose gradients are pipeir GEMMs: dA = dC . B^T and
dB = A^T . dC.

`pipeir.matmul` calls `torch.ops.pipeir.mm` itself only when torch traces it
(torch.compile, torch.export, fake tensors) or when its inputs need gradients; an
eager call keeps its direct dispatch onto the kernel (pipeir.api).

    import pipeir, torch
    c = torch.ops.pipeir.mm(a, b)                       # a (M, K), b (K, N)
    c = torch.ops.pipeir.mm(a, b, bias, "silu")         # fused epilogue
    c = torch.ops.pipeir.mm(a, b, None, "swiglu", torch.float32)  # (M, N / 2), f32
    c = torch.ops.pipeir.scaled_mm(a8, b8, sa, sb, None, torch.bfloat16)
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

import torch
import torch.nn.functional as F

import pipeir.api as api
from pipeir.runtime.activations import ACTIVATIONS
from pipeir.runtime.objects import DTYPE_NAMES, OUTPUT_DTYPE_NAMES, TORCH_DTYPES
from pipeir.target import is_gated
from pipeir.target.spec import GemmConfig

__all__ = [
    "ACTIVATIONS", "FUSED_EPILOGUE", "SCALED_MM_OUT_DTYPES", "apply_epilogue", "mm", "mm_output_dtype", "row_major",
    "scaled_mm",
]

_ACTIVATION_GRADIENTS: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "relu": lambda grad, z: torch.ops.aten.threshold_backward(grad, z, 0),
    "gelu": lambda grad, z: torch.ops.aten.gelu_backward(grad, z, approximate="none"),
    "gelu_tanh": lambda grad, z: torch.ops.aten.gelu_backward(grad, z, approximate="tanh"),
    "silu": lambda grad, z: torch.ops.aten.silu_backward(grad, z),
    "swiglu": lambda grad, z: torch.stack(
        (torch.ops.aten.silu_backward(grad * z[:, 1::2], z[:, 0::2]), grad * F.silu(z[:, 0::2])), dim=2,
    ).reshape(z.shape),
}
"""d activation(z) / dz applied to the incoming gradient, per activation of ACTIVATIONS."""

SCALED_MM_OUT_DTYPES = tuple(OUTPUT_DTYPE_NAMES)
"""Output dtypes of `scaled_mm` (and of `mm`): the epilogue's (the targets' OUTPUT_DTYPES)."""

FUSED_EPILOGUE = "activation" in inspect.signature(api.matmul).parameters
"""Whether pipeir.api.matmul applies bias and activation in its epilogue; without it,
`mm` applies them with torch after the GEMM."""

_REDUCTION_BYTES = 16
"""TMA moves rows in 16-byte units: the reduction size of a row-major operand times its
element size must be a multiple of this (pipeir.api.matmul checks it)."""


def mm_output_dtype(dtype: torch.dtype, out_dtype: torch.dtype | None = None) -> torch.dtype:
    """The dtype of `mm`'s output for inputs of `dtype` (the configuration's rule)."""
    return out_dtype or TORCH_DTYPES[GemmConfig(m=None, n=None, k=None, dtype=DTYPE_NAMES[dtype]).c_dtype]


def _output_columns(n, activation: str | None):
    """Columns of `mm`'s output for a product of N columns: half of them after swiglu."""
    return n // 2 if is_gated(activation) else n


def _check_mm(a: torch.Tensor, b: torch.Tensor, bias: torch.Tensor | None, activation: str | None,
              out_dtype: torch.dtype | None = None) -> None:
    for name, tensor in (("a", a), ("b", b)):
        torch._check(tensor.dim() == 2, lambda: f"pipeir.mm: {name} must be 2-D, got shape {tuple(tensor.shape)}")
        torch._check(
            tensor.dtype in DTYPE_NAMES,
            lambda: f"pipeir.mm: {name} has dtype {tensor.dtype}; pipeir takes "
            + ", ".join(map(str, DTYPE_NAMES)),
        )
    torch._check(a.dtype == b.dtype, lambda: f"pipeir.mm: a and b must have the same dtype, got {a.dtype} and {b.dtype}")
    torch._check(
        a.shape[1] == b.shape[0],
        lambda: f"pipeir.mm: a is (M, K) = {tuple(a.shape)} but b (K, N) = {tuple(b.shape)} has K = {b.shape[0]}",
    )
    torch._check(
        activation is None or activation in ACTIVATIONS,
        lambda: f"pipeir.mm: activation must be one of {', '.join(ACTIVATIONS)} or None, got {activation!r}",
    )
    torch._check(
        not is_gated(activation) or b.shape[1] % 2 == 0,
        lambda: f"pipeir.mm: {activation} pairs the product's columns, so N must be even, got {b.shape[1]}",
    )
    torch._check(
        out_dtype is None or out_dtype in OUTPUT_DTYPE_NAMES,
        lambda: f"pipeir.mm: out_dtype must be one of {', '.join(map(str, OUTPUT_DTYPE_NAMES))} or None, "
        f"got {out_dtype}",
    )
    if bias is not None:
        torch._check(
            bias.dim() == 1 and bias.shape[0] == b.shape[1],
            lambda: f"pipeir.mm: bias must have shape ({b.shape[1]},), got {tuple(bias.shape)}",
        )


def row_major(tensor: torch.Tensor) -> torch.Tensor:
    """`tensor` with strides (columns, 1); a contiguous tensor whose size-1 dimension has
    another stride (torch calls it contiguous) is restrided, not copied."""
    if tensor.stride() == (tensor.shape[1], 1):
        return tensor
    if tensor.is_contiguous():
        return tensor.as_strided(tensor.shape, (tensor.shape[1], 1))
    return tensor.contiguous()


def _kernel_layout_b(b: torch.Tensor) -> torch.Tensor:
    """b (K, N) as pipeir.api.matmul takes it: row-major or K-major, as it is when it is
    one of them (K-major, copied if need be, for fp8)."""
    k, n = b.shape
    if b.stride() == (1, k) or (b.element_size() > 1 and b.stride() == (n, 1)):
        return b
    if b.element_size() == 1 or b.t().is_contiguous():
        return row_major(b.t()).t()
    return row_major(b)


def apply_epilogue(c: torch.Tensor, bias: torch.Tensor | None, activation: str | None) -> torch.Tensor:
    """activation(c + bias) with torch, in float32 rounded once to c's dtype: the epilogue
    where pipeir.api.matmul has no fused one (differentiable like any torch code)."""
    if bias is None and activation is None:
        return c
    z = c.float() if bias is None else c.float() + bias.float()
    return (z if activation is None else ACTIVATIONS[activation](z)).to(c.dtype)


@torch.library.custom_op("pipeir::mm", mutates_args=())
def mm(a: torch.Tensor, b: torch.Tensor, bias: torch.Tensor | None = None, activation: str | None = None,
       out_dtype: torch.dtype | None = None) -> torch.Tensor:
    """activation(a @ b + bias) with a pipeir kernel: a (M, K), b (K, N) of one dtype
    (f16, bf16, fp8), bias (N,) or None, activation one of ACTIVATIONS or None.

    The output is (M, N) ((M, N / 2) after swiglu), of `out_dtype`, else f16 for f16
    inputs and bf16 otherwise. Inputs in other layouts than the kernels take (a
    row-major; b row-major or K-major, K-major for fp8) are copied into one first, so
    that a compiled graph's layouts never fail."""
    _check_mm(a, b, bias, activation, out_dtype)
    a, b = row_major(a), _kernel_layout_b(b)
    if FUSED_EPILOGUE and (bias is None or bias.dtype == mm_output_dtype(a.dtype, out_dtype)):
        # the kernel takes a bias of its output dtype
        return api.matmul(a, b, bias=bias, activation=activation, out_dtype=out_dtype)
    return apply_epilogue(api.matmul(a, b, out_dtype=out_dtype), bias, activation)


@mm.register_fake
def _mm_fake(a, b, bias=None, activation=None, out_dtype=None):
    _check_mm(a, b, bias, activation, out_dtype)
    return a.new_empty((a.shape[0], _output_columns(b.shape[1], activation)),
                       dtype=mm_output_dtype(a.dtype, out_dtype))


def _mm_setup_context(ctx, inputs, output) -> None:
    a, b, bias, activation, _ = inputs
    ctx.save_for_backward(a, b, bias)
    ctx.activation = activation


def _padded_reduction(x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """x (R, M) row-major and y (M, C) with M padded with zeros to the multiple that TMA
    needs (the product is unchanged): a gradient's reduction runs over the tokens M,
    which any count may be."""
    multiple = _REDUCTION_BYTES // x.element_size()
    pad = -x.shape[1] % multiple
    if pad == 0:
        return x, y
    return F.pad(x, (0, pad)), F.pad(y, (0, 0, 0, pad))


def _mm_backward(ctx, grad: torch.Tensor):
    a, b, bias = ctx.saved_tensors
    if a.element_size() == 1:
        raise RuntimeError("pipeir.mm: no gradient for fp8 inputs (use 16-bit inputs to train)")
    if ctx.activation is not None:
        pre_activation = mm(a, b, bias, None)  # recomputed: cheaper to keep than a second (M, N) output
        grad = _ACTIVATION_GRADIENTS[ctx.activation](grad, pre_activation)
    grad = row_major(grad.to(a.dtype))
    grad_a = grad_b = grad_bias = None
    if ctx.needs_input_grad[0]:
        grad_a = mm(grad, b.t())  # (M, N) @ (N, K); b.t() is K-major when b is row-major, and the reverse
    if ctx.needs_input_grad[1]:
        if b.stride() == (1, b.shape[0]):  # K-major b (a weight (N, K)): its gradient in that layout
            grad_b = mm(*_padded_reduction(row_major(grad.t()), a)).t()
        else:
            grad_b = mm(*_padded_reduction(row_major(a.t()), grad))
    if bias is not None and ctx.needs_input_grad[2]:
        grad_bias = grad.sum(0, dtype=torch.float32).to(bias.dtype)
    return grad_a, grad_b, grad_bias, None, None


mm.register_autograd(_mm_backward, setup_context=_mm_setup_context)


def _check_scaled_mm(a, b, scale_a, scale_b, bias, out_dtype) -> None:
    for name, tensor in (("a", a), ("b", b)):
        torch._check(tensor.dim() == 2, lambda: f"pipeir.scaled_mm: {name} must be 2-D, got shape {tuple(tensor.shape)}")
        torch._check(
            tensor.dtype == torch.float8_e4m3fn,
            lambda: f"pipeir.scaled_mm: {name} must be torch.float8_e4m3fn, got {tensor.dtype}",
        )
    m, k = a.shape
    torch._check(
        b.shape[0] == k,
        lambda: f"pipeir.scaled_mm: a is (M, K) = {tuple(a.shape)} but b (K, N) = {tuple(b.shape)} has K = {b.shape[0]}",
    )
    n = b.shape[1]
    for name, scale in (("scale_a", scale_a), ("scale_b", scale_b)):
        torch._check(
            scale.dtype == torch.float32,
            lambda: f"pipeir.scaled_mm: {name} must be torch.float32, got {scale.dtype}",
        )
    tensorwise = scale_a.numel() == 1 and scale_a.dim() in (0, 2) and scale_b.numel() == 1 and scale_b.dim() in (0, 2)
    rowwise = tuple(scale_a.shape) == (m, 1) and tuple(scale_b.shape) == (1, n)
    torch._check(
        tensorwise or rowwise,
        lambda: f"pipeir.scaled_mm: scales must be tensorwise (shape () or (1, 1) each) or rowwise "
        f"(scale_a ({m}, 1), scale_b (1, {n})), got {tuple(scale_a.shape)} and {tuple(scale_b.shape)}",
    )
    torch._check(
        out_dtype in SCALED_MM_OUT_DTYPES,
        lambda: f"pipeir.scaled_mm: out_dtype must be one of {', '.join(map(str, SCALED_MM_OUT_DTYPES))}, got {out_dtype}",
    )
    if bias is not None:
        torch._check(
            bias.dim() == 1 and bias.shape[0] == n,
            lambda: f"pipeir.scaled_mm: bias must have shape ({n},), got {tuple(bias.shape)}",
        )


@torch.library.custom_op("pipeir::scaled_mm", mutates_args=())
def scaled_mm(
    a: torch.Tensor,
    b: torch.Tensor,
    scale_a: torch.Tensor,
    scale_b: torch.Tensor,
    bias: torch.Tensor | None = None,
    out_dtype: torch.dtype = torch.bfloat16,
) -> torch.Tensor:
    """(scale_a * a) @ (scale_b * b) + bias in `out_dtype`, torch._scaled_mm's conventions:
    a (M, K) row-major fp8 e4m3, b (K, N) K-major fp8 e4m3, float32 scales tensorwise
    (() or (1, 1) each) or rowwise (scale_a (M, 1), scale_b (1, N)), bias (N,) or None.
    Runs pipeir.api.scaled_mm (the fp8 GEMM with its scaling epilogue)."""
    _check_scaled_mm(a, b, scale_a, scale_b, bias, out_dtype)
    implementation = getattr(api, "scaled_mm", None)
    if implementation is None:
        raise NotImplementedError("pipeir.scaled_mm: this pipeir has no fp8 scaled GEMM (pipeir.api.scaled_mm)")
    return implementation(row_major(a), _kernel_layout_b(b), scale_a, scale_b, bias=bias, out_dtype=out_dtype)


@scaled_mm.register_fake
def _scaled_mm_fake(a, b, scale_a, scale_b, bias=None, out_dtype=torch.bfloat16):
    _check_scaled_mm(a, b, scale_a, scale_b, bias, out_dtype)
    return a.new_empty((a.shape[0], b.shape[1]), dtype=out_dtype)
