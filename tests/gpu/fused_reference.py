"""The float32 reference of a fused GEMM, written out independently of pipeir, and the
random epilogue operands of a configuration: shared by the GPU tests and by the case
scripts they run in fresh processes (`case_environment` puts this folder on their path).

    reference = fused_reference(a, b, scale_a, scale_b, bias, activation)

is activation(a @ b * scale_a * scale_b + bias) with `b` (K, N) (pass `w.t()` for a
weight w (N, K)), scales of shape (M,) or (M, 1) and (N,) or (1, N), or one element each
(tensorwise), and a bias of N elements."""

import os
from pathlib import Path

import torch

ACTIVATIONS = {
    None: lambda x: x,
    "relu": torch.relu,
    "gelu": lambda x: torch.nn.functional.gelu(x, approximate="none"),
    "gelu_tanh": lambda x: torch.nn.functional.gelu(x, approximate="tanh"),
    "silu": torch.nn.functional.silu,
}


def fused_reference(a, b, scale_a=None, scale_b=None, bias=None, activation=None):
    reference = a.float() @ b.float()
    if scale_a is not None:
        reference = reference * scale_a.float().reshape(-1, 1) * scale_b.float().reshape(1, -1)
    if bias is not None:
        reference = reference + bias.float()
    return ACTIVATIONS[activation](reference)


def random_operands(config, m: int, n: int) -> dict:
    """The epilogue operands a kernel of GemmConfig `config` takes, as keyword arguments:
    rowwise scales in 0.5..1.5, tensorwise ones 0.75 and 1.25 (the kernel's scalar operands
    are (1,)), a random bias of the output dtype."""
    from pipeir.runtime.objects import TORCH_DTYPES

    operands = {}
    if config.scale == "rowwise":
        operands["scale_a"] = torch.rand(m, device="cuda") + 0.5
        operands["scale_b"] = torch.rand(n, device="cuda") + 0.5
    if config.scale == "tensorwise":
        operands["scale_a"] = torch.tensor([0.75], device="cuda")
        operands["scale_b"] = torch.tensor([1.25], device="cuda")
    if config.bias:
        operands["bias"] = torch.randn(n, device="cuda").to(TORCH_DTYPES[config.c_dtype])
    return operands


def case_environment() -> dict:
    """The environment of a case script: no tuning, and this folder importable."""
    path = os.pathsep.join(filter(None, [str(Path(__file__).parent), os.environ.get("PYTHONPATH")]))
    return dict(os.environ, PIPEIR_TUNE="0", PYTHONPATH=path)
