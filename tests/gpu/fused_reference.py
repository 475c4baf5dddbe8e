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


def config_of(fields: dict):
    """The GemmConfig a case script gets as JSON fields (tile and cluster as lists)."""
    from pipeir.target.spec import GemmConfig

    return GemmConfig(**{**fields, "tile": tuple(fields["tile"]), "cluster": tuple(fields["cluster"])})


def random_operands(config, m: int, n: int, device: str = "cuda") -> dict:
    """The epilogue operands a kernel of GemmConfig `config` takes, as keyword arguments:
    rowwise scales in 0.5..1.5, tensorwise ones 0.75 and 1.25 (the kernel's scalar operands
    are (1,)), a random bias of the output dtype."""
    from pipeir.runtime.objects import TORCH_DTYPES

    operands = {}
    if config.scale == "rowwise":
        operands["scale_a"] = torch.rand(m, device=device) + 0.5
        operands["scale_b"] = torch.rand(n, device=device) + 0.5
    if config.scale == "tensorwise":
        operands["scale_a"] = torch.tensor([0.75], device=device)
        operands["scale_b"] = torch.tensor([1.25], device=device)
    if config.bias:
        operands["bias"] = torch.randn(n, device=device).to(TORCH_DTYPES[config.c_dtype])
    return operands


def random_problem(config, m: int, n: int, k: int, device: str = "cuda"):
    """(a (M, K), b (N, K), operands, reference): random inputs of `config`'s dtype, its
    epilogue operands (random_operands) and the float32 reference of the fused product."""
    from pipeir.runtime.objects import TORCH_DTYPES

    a = torch.randn(m, k, device=device).to(TORCH_DTYPES[config.dtype])
    b = torch.randn(n, k, device=device).to(TORCH_DTYPES[config.dtype])
    operands = random_operands(config, m, n, device)
    return a, b, operands, fused_reference(a, b.t(), activation=config.activation, **operands)


def case_environment() -> dict:
    """The environment of a case script: no tuning, and this folder importable."""
    path = os.pathsep.join(filter(None, [str(Path(__file__).parent), os.environ.get("PYTHONPATH")]))
    return dict(os.environ, PIPEIR_TUNE="0", PYTHONPATH=path)
