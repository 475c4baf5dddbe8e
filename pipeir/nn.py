"""Drop-in modules: `Linear` and `Fp8Linear` run their GEMM with pipeir kernels, and
`replace_linears(model)` swaps a model's eligible torch.nn.Linear modules for them.

    model = model.to("cuda", torch.bfloat16)
    report = pipeir.nn.replace_linears(model)          # or fp8=True
    print(report)                                      # what was swapped, what not and why

`Linear` keeps torch's (out_features, in_features) weight, which is B = weight.t()
K-major for the kernel (no copy), and trains (the custom op's gradients are pipeir
GEMMs). `Fp8Linear` is for inference: an fp8 e4m3 weight with one float32 scale per
output channel, and each input row quantized to fp8 with its own scale at run time.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

import pipeir.api as api
from pipeir.ops import ACTIVATIONS, FUSED_EPILOGUE, apply_epilogue, row_major
from pipeir.target import is_gated

__all__ = ["Fp8Linear", "Linear", "Replacement", "ineligibility", "replace_linears"]

FP8 = torch.float8_e4m3fn
FP8_MAX = torch.finfo(FP8).max
SIXTEEN_BIT = (torch.float16, torch.bfloat16)
TMA_ROW_BYTES = 16
"""A row of an operand, and of the 16-bit output, is a multiple of 16 bytes (TMA)."""


ELEMENTWISE_ACTIVATIONS = tuple(name for name in ACTIVATIONS if not is_gated(name))
"""A layer's activations: a gated one (swiglu) would halve its out_features (pipeir.matmul computes it)."""


def _check_activation(activation: str | None) -> None:
    if activation is not None and activation not in ELEMENTWISE_ACTIVATIONS:
        raise ValueError(
            f"activation must be one of {', '.join(ELEMENTWISE_ACTIVATIONS)} or None, got {activation!r}")


def _rows(x: torch.Tensor, features: int) -> torch.Tensor:
    if x.shape[-1] != features:
        raise ValueError(f"input has {x.shape[-1]} features in its last dimension, the layer takes {features}")
    return row_major(x.reshape(-1, features))


class Linear(torch.nn.Linear):
    """torch.nn.Linear computed by pipeir: y = activation(x @ weight.T + bias).

    `activation` is None or one of pipeir.ops.ACTIVATIONS (relu, gelu, gelu_tanh, silu),
    applied in the GEMM's epilogue. Inputs are f16 or bf16 CUDA tensors of any leading
    shape; in_features and out_features must be multiples of 8."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True, activation: str | None = None,
                 device: torch.device | str | None = None, dtype: torch.dtype | None = None) -> None:
        _check_activation(activation)
        super().__init__(in_features, out_features, bias, device, dtype)
        self.activation = activation

    @classmethod
    def from_linear(cls, linear: torch.nn.Linear, activation: str | None = None) -> Linear:
        """A pipeir Linear sharing `linear`'s weight and bias (nothing is copied)."""
        reason = ineligibility(linear)
        if reason is not None:
            raise ValueError(f"cannot run this nn.Linear with pipeir: {reason}")
        module = cls(linear.in_features, linear.out_features, linear.bias is not None, activation,
                     device="meta", dtype=linear.weight.dtype)
        module.weight, module.bias = linear.weight, linear.bias
        return module.train(linear.training)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rows = _rows(x, self.in_features)
        if FUSED_EPILOGUE and (self.bias is not None or self.activation is not None):
            y = api.matmul(rows, self.weight.t(), bias=self.bias, activation=self.activation)
        else:
            y = apply_epilogue(api.matmul(rows, self.weight.t()), self.bias, self.activation)
        return y.reshape(*x.shape[:-1], self.out_features)

    def extra_repr(self) -> str:
        return super().extra_repr() + f", activation={self.activation}"


def quantize_rows(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """x (R, C) as fp8 e4m3 with one float32 scale per row: (x_fp8, scale (R, 1)), where
    x ~ x_fp8 * scale and each row's largest magnitude maps to fp8's largest value."""
    amax = x.abs().amax(dim=1, keepdim=True).float().clamp(min=torch.finfo(torch.float32).tiny)
    scale = amax / FP8_MAX
    return (x.float() / scale).clamp(-FP8_MAX, FP8_MAX).to(FP8), scale


class Fp8Linear(torch.nn.Module):
    """An inference Linear on pipeir's fp8 scaled GEMM (pipeir.scaled_mm, rowwise scales).

    The weight is fp8 e4m3, (out_features, in_features), with a float32 scale per output
    channel (`weight_scale`, (1, out_features)); each input row is quantized to fp8 with
    its own scale at every call. The output has `out_dtype` (bf16 or f16); bias, then
    activation, are applied to it. in_features must be a multiple of 16, out_features of 8.
    Build one with `Fp8Linear.from_linear(linear)`."""

    def __init__(self, weight: torch.Tensor, weight_scale: torch.Tensor, bias: torch.Tensor | None = None,
                 activation: str | None = None, out_dtype: torch.dtype = torch.bfloat16) -> None:
        super().__init__()
        _check_activation(activation)
        if weight.dtype != FP8 or weight.dim() != 2:
            raise TypeError(f"weight must be a 2-D {FP8} tensor, got {weight.dtype} {tuple(weight.shape)}")
        if tuple(weight_scale.shape) != (1, weight.shape[0]) or weight_scale.dtype != torch.float32:
            raise ValueError(f"weight_scale must be float32 of shape (1, {weight.shape[0]}), "
                             f"got {weight_scale.dtype} {tuple(weight_scale.shape)}")
        if out_dtype not in SIXTEEN_BIT:
            raise TypeError(f"out_dtype must be torch.bfloat16 or torch.float16, got {out_dtype}")
        self.out_features, self.in_features = weight.shape
        self.register_buffer("weight", weight)
        self.register_buffer("weight_scale", weight_scale)
        self.register_buffer("bias", bias)
        self.activation = activation
        self.out_dtype = out_dtype

    @classmethod
    def from_linear(cls, linear: torch.nn.Linear, activation: str | None = None) -> Fp8Linear:
        """`linear` quantized: its weight to fp8 e4m3 with one scale per output channel."""
        reason = ineligibility(linear, fp8=True)
        if reason is not None:
            raise ValueError(f"cannot run this nn.Linear with pipeir's fp8 GEMM: {reason}")
        with torch.no_grad():
            weight, scale = quantize_rows(linear.weight)
            bias = None if linear.bias is None else linear.bias.detach().clone()
        return cls(weight, scale.t().contiguous(), bias, activation, linear.weight.dtype)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rows, row_scale = quantize_rows(_rows(x, self.in_features))
        scaled_mm = getattr(api, "scaled_mm", None)
        if scaled_mm is None or torch.compiler.is_compiling():
            y = torch.ops.pipeir.scaled_mm(rows, self.weight.t(), row_scale, self.weight_scale, self.bias, self.out_dtype)
        else:
            y = scaled_mm(rows, self.weight.t(), row_scale, self.weight_scale, bias=self.bias, out_dtype=self.out_dtype)
        if self.activation is not None:
            y = ACTIVATIONS[self.activation](y)
        return y.reshape(*x.shape[:-1], self.out_features)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}, activation={self.activation}, out_dtype={self.out_dtype}")


def ineligibility(linear: torch.nn.Module, fp8: bool = False) -> str | None:
    """Why `linear` cannot be run by pipeir (None when it can): pipeir's kernels take f16
    or bf16 weights (fp8 ones quantized from them) and TMA rows of 16-byte multiples."""
    if type(linear) is not torch.nn.Linear:
        return f"{type(linear).__module__}.{type(linear).__qualname__} is not a plain torch.nn.Linear"
    dtype = linear.weight.dtype
    if dtype not in SIXTEEN_BIT:
        return f"weight dtype {dtype}; pipeir takes torch.float16 or torch.bfloat16 (e.g. model.to(torch.bfloat16))"
    input_bytes = 1 if fp8 else linear.weight.element_size()
    if (linear.in_features * input_bytes) % TMA_ROW_BYTES:
        return (f"in_features {linear.in_features} is not a multiple of {TMA_ROW_BYTES // input_bytes} "
                f"(rows of 16-byte multiples for TMA)")
    if (linear.out_features * linear.weight.element_size()) % TMA_ROW_BYTES:
        return (f"out_features {linear.out_features} is not a multiple of "
                f"{TMA_ROW_BYTES // linear.weight.element_size()} (output rows of 16-byte multiples for TMA)")
    return None


@dataclass
class Replacement:
    """What `replace_linears` did: the qualified names of the modules replaced, and of
    those left as they were with the reason."""

    replaced: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        lines = [f"replaced {len(self.replaced)} nn.Linear module(s) with pipeir's"]
        lines += [f"  kept {name}: {reason}" for name, reason in self.skipped.items()]
        return "\n".join(lines)


def replace_linears(model: torch.nn.Module, *, fp8: bool = False) -> Replacement:
    """Replace, in place, every eligible torch.nn.Linear inside `model` by pipeir's
    `Linear` (sharing its parameters) or, with `fp8`, by an `Fp8Linear` quantized from
    it; every other nn.Linear is kept and named in the result with the reason
    (`ineligibility`). The model's own class is kept: pass its container if the model
    itself is one nn.Linear."""
    if type(model) is torch.nn.Linear:
        raise TypeError("replace_linears replaces the modules inside a model; for one nn.Linear use "
                        "pipeir.nn.Linear.from_linear (or Fp8Linear.from_linear)")
    result = Replacement()
    replacement = Fp8Linear if fp8 else Linear
    for parent_name, parent in list(model.named_modules()):
        for child_name, child in list(parent.named_children()):
            if not isinstance(child, torch.nn.Linear) or isinstance(child, Linear):
                continue
            name = f"{parent_name}.{child_name}" if parent_name else child_name
            reason = ineligibility(child, fp8)
            if reason is not None:
                result.skipped[name] = reason
                continue
            setattr(parent, child_name, replacement.from_linear(child))
            result.replaced.append(name)
    return result
