"""End-to-end correctness on the GPU: naive and optimized kernels against a
float64 reference, with fresh random inputs and NaN-poisoned outputs."""

from __future__ import annotations

import functools

import pytest
import torch

import pipeir
from pipeir.target.spec import GemmConfig
from pipeir.runtime.objects import TORCH_DTYPES

pytestmark = pytest.mark.gpu

FORMS = {
    "naive": (),
    "rolled": ("fold-static-full", "roll-producer"),
    "rolled+hoisted": ("fold-static-full", "roll-producer", "hoist-rank"),
}
TOLERANCE = {"f16": 2e-3, "bf16": 1e-2, "f8e4m3": 3e-2, "f8e5m2": 6e-2}

# (dtype, b_major, cluster, tile): dynamic-shape kernels, each run on every shape below.
DYNAMIC_KERNELS = [
    ("bf16", "k", (2, 1), None),
    ("f16", "mn", (1, 2), None),
    ("f16", "k", (1, 1), (128, 128, 64)),
    ("bf16", "mn", (2, 1), (128, 128, 64)),
    ("f8e4m3", "k", (1, 1), None),
    ("f8e5m2", "k", (2, 1), None),
]
SHAPES = [
    (128, 256, 64),      # one tile
    (300, 520, 208),     # M/N edge tiles and a K tail (16-byte rows for fp8 too)
    (1000, 3000, 1024),  # non-square, edges in M and N
    (256, 512, 4016),    # long K with a tail
    (2048, 1024, 512),
]
STATIC_KERNELS = [  # static-full: the passes fold and roll for real
    ("bf16", "k", (2, 1), None, (4096, 4096, 4096)),
    ("f16", "k", (1, 2), (128, 128, 64), (2048, 2048, 1024)),
    ("f8e4m3", "k", (2, 1), None, (2048, 2048, 2048)),
]

KERNEL_CONFIGS = [
    (form, dtype, b_major, cluster, tile, None) for form in FORMS
    for dtype, b_major, cluster, tile in DYNAMIC_KERNELS
] + [
    (form, dtype, b_major, cluster, tile, shape) for form in FORMS
    for dtype, b_major, cluster, tile, shape in STATIC_KERNELS
]


@functools.cache
def compiled(kernel_config):
    form, dtype, b_major, cluster, tile, shape = kernel_config
    m, n, k = shape if shape is not None else (None, None, None)
    config = GemmConfig(m=m, n=n, k=k, dtype=dtype, tile=tile, cluster=cluster, b_major=b_major)
    return pipeir.compile(config, passes=FORMS[form], tune=False)


def random_operand(rows: int, cols: int, dtype: str) -> torch.Tensor:
    values = torch.randn(rows, cols, device="cuda", dtype=torch.float32)
    if dtype.startswith("f8"):
        values = values.clamp(-4, 4)
    return values.to(TORCH_DTYPES[dtype])


def check(kernel_config, m: int, n: int, k: int) -> None:
    form, dtype, b_major, *_ = kernel_config
    kernel = compiled(kernel_config)
    a = random_operand(m, k, dtype)
    b = random_operand(n, k, dtype) if b_major == "k" else random_operand(k, n, dtype)
    out = torch.full((m, n), float("nan"), device="cuda", dtype=kernel.c_dtype)
    kernel(a, b, out=out)
    torch.cuda.synchronize()
    b_kn = b.double().t() if b_major == "k" else b.double()
    reference = a.double() @ b_kn
    assert not out.isnan().any(), f"{form}: unwritten (NaN) outputs"
    error = ((out.double() - reference).norm() / reference.norm()).item()
    assert error < TOLERANCE[dtype], f"{form} {dtype} {m}x{n}x{k}: relative error {error:.2e}"


def grouped(configs):
    return [pytest.param(c, marks=pytest.mark.xdist_group(str(c))) for c in configs]


@pytest.mark.parametrize("kernel_config", grouped(c for c in KERNEL_CONFIGS if c[-1] is None), ids=str)
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_dynamic_shape_kernel(kernel_config, shape) -> None:
    check(kernel_config, *shape)


@pytest.mark.parametrize("kernel_config", grouped(c for c in KERNEL_CONFIGS if c[-1] is not None), ids=str)
def test_static_full_kernel(kernel_config) -> None:
    check(kernel_config, *kernel_config[-1])


def test_naive_and_optimized_agree() -> None:
    """Same inputs through the naive and the fully optimized kernel: identical
    pipelines feed identical WGMMA sequences, so the outputs match bit for bit."""
    naive = compiled(("naive", "bf16", "k", (2, 1), None, (4096, 4096, 4096)))
    optimized = compiled(("rolled+hoisted", "bf16", "k", (2, 1), None, (4096, 4096, 4096)))
    a = random_operand(4096, 4096, "bf16")
    b = random_operand(4096, 4096, "bf16")
    assert torch.equal(naive(a, b), optimized(a, b))
