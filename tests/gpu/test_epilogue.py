"""Fused epilogues on the GPU (issue 14, acceptance 1): `pipeir.scaled_mm` (tensorwise
and rowwise fp8 scales, with and without bias), `pipeir.matmul` with a bias and each
activation (bf16, f16, fp8), static kernels with edge tiles (M, N not multiples of the
tile), dynamic-shape kernels, both load placements (operands held for a tile and
loaded per subtile), swap_ab kernels at decode M (issue 15), f32 outputs (`out_dtype`) and
the SwiGLU epilogue (`activation="swiglu"`, an (M, N / 2) output) at every fp8 tuner tile,
edge tiles, a dynamic shape and split-K. Each output is NaN-poisoned first and compared, in the Frobenius
norm, with a float32 reference of the same fused product from the same inputs:
relative error <= 2e-3 for 16-bit inputs, <= 5e-3 for fp8.

    python -m pytest tests/gpu/test_epilogue.py -q [-n 8 --dist loadgroup]

The builder's default configurations are used (PIPEIR_TUNE=0): no tuning run per shape.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch

import pipeir
from fused_reference import ACTIVATIONS, fused_reference
from pipeir.target.spec import GemmConfig

pytestmark = pytest.mark.gpu

TOLERANCE = {torch.bfloat16: 2e-3, torch.float16: 2e-3, torch.float8_e4m3fn: 5e-3, torch.float8_e5m2: 5e-3}
SHAPES = {
    "full": (512, 1024, 512),   # whole tiles at every tuner tile
    "edge": (300, 520, 208),    # M and N edge tiles, a K tail
    "thin": (72, 1000, 1024),   # one partial row of tiles, N edge
}


@pytest.fixture(autouse=True)
def builder_defaults(monkeypatch):
    monkeypatch.setenv("PIPEIR_TUNE", "0")


def operands(m: int, n: int, k: int, dtype: torch.dtype, seed: int):
    """a (M, K) row-major and b (K, N) K-major (the transpose of a row-major (N, K))."""
    generator = torch.Generator(device="cuda").manual_seed(seed)
    a = torch.randn(m, k, device="cuda", generator=generator)
    b = torch.randn(n, k, device="cuda", generator=generator)
    if dtype.itemsize == 1:  # spread fp8 values over their range without saturating
        a, b = a * 4, b * 4
    return a.to(dtype), b.to(dtype).t()


def relative_error(out: torch.Tensor, reference: torch.Tensor) -> float:
    assert torch.isfinite(out).all(), "the output holds NaN or inf: an element was not written"
    return ((out.float() - reference).norm() / reference.norm()).item()


def poisoned(m: int, n: int, dtype: torch.dtype) -> torch.Tensor:
    return torch.full((m, n), float("nan"), device="cuda", dtype=dtype)


def poison_allocator(m: int, n: int, dtype: torch.dtype) -> None:
    """Fill the block the caching allocator hands out next for an (m, n) tensor with NaN:
    an API call that allocates its own output then gets poisoned memory."""
    block = poisoned(m, n, dtype)
    del block


# -- pipeir.scaled_mm ------------------------------------------------------------------------

def scales(kind: str, m: int, n: int, seed: int):
    generator = torch.Generator(device="cuda").manual_seed(seed + 1)
    if kind == "tensorwise":
        return (torch.rand((), device="cuda", generator=generator) + 0.5,
                torch.rand((), device="cuda", generator=generator) + 0.5)
    if kind == "tensorwise11":
        return (torch.rand(1, 1, device="cuda", generator=generator) + 0.5,
                torch.rand(1, 1, device="cuda", generator=generator) + 0.5)
    return (torch.rand(m, 1, device="cuda", generator=generator) + 0.5,
            torch.rand(1, n, device="cuda", generator=generator) + 0.5)


@pytest.mark.parametrize("shape", list(SHAPES))
@pytest.mark.parametrize("bias", [False, True], ids=["nobias", "bias"])
@pytest.mark.parametrize("scale", ["tensorwise", "tensorwise11", "rowwise"])
@pytest.mark.parametrize("dtype", [torch.float8_e4m3fn, torch.float8_e5m2], ids=["e4m3", "e5m2"])
def test_scaled_mm(dtype, scale, bias, shape) -> None:
    m, n, k = SHAPES[shape]
    out_dtype = torch.float16 if (shape == "thin" and bias) else torch.bfloat16
    a, b = operands(m, n, k, dtype, seed=m + n)
    scale_a, scale_b = scales(scale, m, n, seed=k)
    bias_vector = torch.randn(n, device="cuda").to(out_dtype) if bias else None
    poison_allocator(m, n, out_dtype)
    out = pipeir.scaled_mm(a, b, scale_a, scale_b, bias=bias_vector, out_dtype=out_dtype)
    assert out.dtype == out_dtype and out.shape == (m, n)
    reference = (a.float() @ b.float()) * scale_a.float().reshape(-1, 1) * scale_b.float().reshape(1, -1)
    if bias:
        reference = reference + bias_vector.float()
    assert relative_error(out, reference) <= TOLERANCE[dtype]


def test_scaled_mm_matches_torch_scaled_mm_rowwise() -> None:
    m, n, k = 1024, 2048, 512
    a, b = operands(m, n, k, torch.float8_e4m3fn, seed=7)
    scale_a, scale_b = scales("rowwise", m, n, seed=7)
    ours = pipeir.scaled_mm(a, b, scale_a, scale_b)
    theirs = torch._scaled_mm(a, b, scale_a, scale_b, out_dtype=torch.bfloat16)
    assert relative_error(ours, theirs.float()) <= 5e-3


# -- pipeir.matmul with bias and activation ---------------------------------------------------

EPILOGUES = [(bias, activation) for bias in (False, True) for activation in ACTIVATIONS if bias or activation]
"""Every bias / activation combination but the plain product (tests/gpu/test_gemm_e2e.py's)."""


@pytest.mark.parametrize("bias, activation", EPILOGUES, ids=lambda v: str(v).lower())
@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16, torch.float8_e4m3fn], ids=["bf16", "f16", "e4m3"])
def test_matmul_epilogue(dtype, bias, activation) -> None:
    m, n, k = SHAPES["edge"] if dtype != torch.float16 else SHAPES["thin"]
    out_dtype = torch.float16 if dtype == torch.float16 else torch.bfloat16
    a, b = operands(m, n, k, dtype, seed=k)
    bias_vector = torch.randn(n, device="cuda").to(out_dtype) if bias else None
    out = poisoned(m, n, out_dtype)
    result = pipeir.matmul(a, b, out, bias=bias_vector, activation=activation)
    assert result is out
    reference = a.float() @ b.float()
    if bias:
        reference = reference + bias_vector.float()
    reference = ACTIVATIONS[activation](reference)
    assert relative_error(out, reference) <= TOLERANCE[dtype]


def test_matmul_with_row_major_b_and_bias() -> None:
    m, n, k = SHAPES["edge"]
    a, b = operands(m, n, k, torch.bfloat16, seed=3)
    b = b.contiguous()  # (K, N) row-major: the MN-major kernel
    bias = torch.randn(n, device="cuda").bfloat16()
    out = pipeir.matmul(a, b, bias=bias, activation="silu")
    reference = torch.nn.functional.silu(a.float() @ b.float() + bias.float())
    assert relative_error(out, reference) <= 2e-3


# -- placements and dynamic shapes through pipeir.compile -------------------------------------

@pytest.mark.parametrize("tile", [(128, 256, 128), (256, 128, 128), (128, 128, 128), (128, 256, 64)],
                         ids=lambda t: "x".join(map(str, t)))
def test_every_fp8_tuner_tile_with_rowwise_scales_bias_and_silu(tile) -> None:
    """128x256 loads the column scale and bias per subtile, 128x128 holds all three
    operands for the tile (place-epilogue-loads): both must compute the same product."""
    m, n, k = 1000, 1016, 512
    kernel = pipeir.compile(GemmConfig(m=m, n=n, k=k, dtype="f8e4m3", tile=tile, scale="rowwise", bias=True,
                                       activation="silu"), tune=False)
    a, b = operands(m, n, k, torch.float8_e4m3fn, seed=11)
    scale_a, scale_b = scales("rowwise", m, n, seed=11)
    bias = torch.randn(n, device="cuda").bfloat16()
    out = poisoned(m, n, torch.bfloat16)
    kernel(a, b.t(), out, scale_a=scale_a.reshape(-1), scale_b=scale_b.reshape(-1), bias=bias)
    reference = torch.nn.functional.silu((a.float() @ b.float()) * scale_a * scale_b + bias.float())
    assert relative_error(out, reference) <= 5e-3


DYNAMIC = GemmConfig(m=None, n=None, k=None, dtype="f8e4m3", scale="rowwise", bias=True, activation="gelu_tanh")


@pytest.fixture(scope="module")
def dynamic_kernel():
    return pipeir.compile(DYNAMIC, tune=False)


@pytest.mark.xdist_group("epilogue-dynamic")
@pytest.mark.parametrize("shape", [(1, 256, 128), (129, 264, 4112), (2048, 1032, 1024), (4096, 4096, 256)],
                         ids=lambda s: "x".join(map(str, s)))
def test_dynamic_shape_kernel(dynamic_kernel, shape) -> None:
    m, n, k = shape
    a, b = operands(m, n, k, torch.float8_e4m3fn, seed=m)
    scale_a, scale_b = scales("rowwise", m, n, seed=n)
    bias = torch.randn(n, device="cuda").bfloat16()
    out = poisoned(m, n, torch.bfloat16)
    dynamic_kernel(a, b.t(), out, scale_a=scale_a.reshape(-1), scale_b=scale_b.reshape(-1), bias=bias)
    reference = torch.nn.functional.gelu((a.float() @ b.float()) * scale_a * scale_b + bias.float(),
                                         approximate="tanh")
    assert relative_error(out, reference) <= 5e-3


# -- swap_ab: the product's D = C^T, its rows C's columns (issue 15's fp8 decode) --------------

DECODE_N, DECODE_K = 1000, 512
"""N not a multiple of the MMA's 128 rows (an edge tile of D's rows), K a whole tile."""


@pytest.mark.parametrize("m", [1, 8, 16, 64])
@pytest.mark.parametrize("scale, activation", [("tensorwise", "silu"), ("rowwise", "gelu_tanh"), ("rowwise", "silu")])
def test_swap_ab_fp8_scales_bias_and_activation_at_decode_m(m, scale, activation) -> None:
    """Under swap_ab a per-row scale of C runs along D's columns and a per-column scale and
    the bias along D's rows: each read at the transposed coordinates."""
    n, k = DECODE_N, DECODE_K
    tile_n = 16 if m <= 16 else 64
    config = GemmConfig(m=m, n=n, k=k, dtype="f8e4m3", tile=(128, tile_n, 128), swap_ab=True, scale=scale,
                        bias=True, activation=activation)
    kernel = pipeir.compile(config, tune=False)
    a, b = operands(m, n, k, torch.float8_e4m3fn, seed=m + 3)
    scale_a, scale_b = scales(scale, m, n, seed=m)
    bias = torch.randn(n, device="cuda").bfloat16()
    out = poisoned(m, n, torch.bfloat16)
    kernel(a, b.t(), out, scale_a=scale_a.reshape(-1), scale_b=scale_b.reshape(-1), bias=bias)
    reference = fused_reference(a, b, scale_a, scale_b, bias, activation)
    assert relative_error(out, reference) <= 5e-3


@pytest.mark.parametrize("m", [1, 8, 16, 64])
def test_swap_ab_bf16_bias_and_gelu_at_decode_m(m) -> None:
    n, k = DECODE_N, DECODE_K
    kernel = pipeir.compile(GemmConfig(m=m, n=n, k=k, dtype="bf16", tile=(128, 32, 64), swap_ab=True, bias=True,
                                       activation="gelu"), tune=False)
    a, b = operands(m, n, k, torch.bfloat16, seed=m + 5)
    bias = torch.randn(n, device="cuda").bfloat16()
    out = poisoned(m, n, torch.bfloat16)
    kernel(a, b.t(), out, bias=bias)
    assert relative_error(out, fused_reference(a, b, None, None, bias, "gelu")) <= 2e-3


@pytest.fixture(scope="module")
def decode_kernel():
    """The dynamic-M decode kernel the runtime builds untuned for rowwise fp8 (swap_ab)."""
    from pipeir import tune

    config = tune.heuristic_config(GemmConfig(m=None, n=DECODE_N, k=DECODE_K, dtype="f8e4m3", scale="rowwise",
                                              bias=True, activation="silu"), "decode")
    assert config.swap_ab
    return pipeir.compile(config, tune=False)


@pytest.mark.xdist_group("epilogue-decode")
@pytest.mark.parametrize("m", [1, 8, 16, 64])
def test_decode_heuristic_kernel_is_swapped_and_right(decode_kernel, m) -> None:
    n, k = DECODE_N, DECODE_K
    a, b = operands(m, n, k, torch.float8_e4m3fn, seed=m + 7)
    scale_a, scale_b = scales("rowwise", m, n, seed=m + 7)
    bias = torch.randn(n, device="cuda").bfloat16()
    out = poisoned(m, n, torch.bfloat16)
    decode_kernel(a, b.t(), out, scale_a=scale_a.reshape(-1), scale_b=scale_b.reshape(-1), bias=bias)
    assert relative_error(out, fused_reference(a, b, scale_a, scale_b, bias, "silu")) <= 5e-3


def test_large_rowwise_product_and_extreme_silu_inputs() -> None:
    """4096^2 x 1024 with scales that push silu's argument far below -88 (exp overflows)
    and above: the output stays finite and right."""
    m, n, k = 4096, 4096, 1024
    a, b = operands(m, n, k, torch.float8_e4m3fn, seed=5)
    scale_a = torch.full((m, 1), 4.0, device="cuda")
    scale_b = torch.rand(1, n, device="cuda") + 0.5
    kernel = pipeir.compile(GemmConfig(m=m, n=n, k=k, dtype="f8e4m3", scale="rowwise", activation="silu"), tune=False)
    out = poisoned(m, n, torch.bfloat16)
    kernel(a, b.t(), out, scale_a=scale_a.reshape(-1), scale_b=scale_b.reshape(-1))
    reference = torch.nn.functional.silu((a.float() @ b.float()) * scale_a * scale_b)
    assert relative_error(out, reference) <= 5e-3


def test_bad_operands_are_refused_before_launch() -> None:
    m, n, k = SHAPES["full"]
    a, b = operands(m, n, k, torch.float8_e4m3fn, seed=1)
    with pytest.raises(ValueError, match="scales must both be tensorwise"):
        pipeir.scaled_mm(a, b, torch.ones(m, device="cuda"), torch.ones(n, device="cuda"))
    with pytest.raises(TypeError, match="scale_b must be float32"):
        pipeir.scaled_mm(a, b, torch.ones(m, 1, device="cuda"), torch.ones(1, n, device="cuda").half())
    with pytest.raises(ValueError, match=r"bias must be a contiguous \(1024,\) tensor"):
        pipeir.scaled_mm(a, b, torch.ones((), device="cuda"), torch.ones((), device="cuda"),
                         bias=torch.ones(n + 1, device="cuda").bfloat16())
    kernel = pipeir.compile(GemmConfig(m=m, n=n, k=k, dtype="f8e4m3", scale="rowwise"), tune=False)
    with pytest.raises(TypeError, match="missing scale_b"):
        kernel(a, b.t(), None, scale_a=torch.ones(m, device="cuda"))
    with pytest.raises(ValueError, match=r"scale_b must be a contiguous tensor of shape \(1024,\)"):
        kernel(a, b.t(), None, scale_a=torch.ones(m, device="cuda"), scale_b=torch.ones(n // 2, device="cuda"))


# -- f32 output (issue 14): the accumulators converted once, to float32 ------------------------

@pytest.mark.parametrize("shape", ["full", "edge"])
@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float8_e4m3fn], ids=["bf16", "e4m3"])
def test_matmul_f32_output_with_bias_and_gelu(dtype, shape) -> None:
    m, n, k = SHAPES[shape]
    a, b = operands(m, n, k, dtype, seed=k + 1)
    bias = torch.randn(n, device="cuda")  # of the output dtype: float32
    out = poisoned(m, n, torch.float32)
    result = pipeir.matmul(a, b, out, bias=bias, activation="gelu", out_dtype=torch.float32)
    assert result is out
    assert relative_error(out, fused_reference(a, b, None, None, bias, "gelu")) <= TOLERANCE[dtype]


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16], ids=["bf16", "f16"])
def test_plain_matmul_f32_output_allocates_float32(dtype) -> None:
    m, n, k = SHAPES["thin"]
    a, b = operands(m, n, k, dtype, seed=9)
    poison_allocator(m, n, torch.float32)
    out = pipeir.matmul(a, b, out_dtype=torch.float32)
    assert out.dtype == torch.float32 and out.shape == (m, n)
    assert relative_error(out, a.float() @ b.float()) <= TOLERANCE[dtype]


@pytest.mark.parametrize("scale", ["tensorwise", "rowwise"])
@pytest.mark.parametrize("shape", ["full", "edge"])
def test_scaled_mm_f32_output(scale, shape) -> None:
    m, n, k = SHAPES[shape]
    a, b = operands(m, n, k, torch.float8_e4m3fn, seed=m + 2)
    scale_a, scale_b = scales(scale, m, n, seed=k + 2)
    bias = torch.randn(n, device="cuda")
    poison_allocator(m, n, torch.float32)
    out = pipeir.scaled_mm(a, b, scale_a, scale_b, bias=bias, out_dtype=torch.float32)
    assert out.dtype == torch.float32 and out.shape == (m, n)
    assert relative_error(out, fused_reference(a, b, scale_a, scale_b, bias, None)) <= 5e-3


@pytest.mark.parametrize("tile", [(128, 256, 64), (256, 128, 64), (128, 128, 64)], ids=lambda t: "x".join(map(str, t)))
def test_every_bf16_tuner_tile_with_f32_output(tile) -> None:
    """f32 is staged in half as many buffers as a 16-bit output, with plain shared stores."""
    m, n, k = 1000, 1016, 520
    kernel = pipeir.compile(GemmConfig(m=m, n=n, k=k, dtype="bf16", out_dtype="f32", tile=tile, bias=True,
                                       activation="silu"), tune=False)
    a, b = operands(m, n, k, torch.bfloat16, seed=13)
    bias = torch.randn(n, device="cuda")
    out = poisoned(m, n, torch.float32)
    kernel(a, b.t(), out, bias=bias)
    assert relative_error(out, fused_reference(a, b, None, None, bias, "silu")) <= 2e-3


@pytest.mark.parametrize("m", [1, 16, 64])
def test_swap_ab_f32_output_at_decode_m(m) -> None:
    """Under swap_ab the f32 output is staged column-major (D = C^T) with plain stores."""
    n, k = DECODE_N, DECODE_K
    tile_n = 16 if m <= 16 else 64
    config = GemmConfig(m=m, n=n, k=k, dtype="f8e4m3", out_dtype="f32", tile=(128, tile_n, 128), swap_ab=True,
                        scale="rowwise", bias=True)
    kernel = pipeir.compile(config, tune=False)
    a, b = operands(m, n, k, torch.float8_e4m3fn, seed=m + 11)
    scale_a, scale_b = scales("rowwise", m, n, seed=m + 11)
    bias = torch.randn(n, device="cuda")
    out = poisoned(m, n, torch.float32)
    kernel(a, b.t(), out, scale_a=scale_a.reshape(-1), scale_b=scale_b.reshape(-1), bias=bias)
    assert relative_error(out, fused_reference(a, b, scale_a, scale_b, bias, None)) <= 5e-3


# -- SwiGLU (issue 14): column j of the (M, N / 2) output is silu(x[:, 2j]) * x[:, 2j + 1] ------

SWIGLU_SHAPES = {
    "full": (512, 1024, 512),   # whole tiles at every tuner tile
    "edge": (300, 1040, 208),   # M and N edge tiles (N / 2 = 520: a partial output tile), a K tail
}


def swiglu_reference(a, b, scale_a=None, scale_b=None, bias=None):
    """The gate of the fused product, in float32 (pipeir.analysis.interp's epi.swiglu)."""
    x = fused_reference(a, b, scale_a, scale_b, bias, None)
    return torch.nn.functional.silu(x[:, 0::2]) * x[:, 1::2]


@pytest.mark.parametrize("shape", list(SWIGLU_SHAPES))
@pytest.mark.parametrize("out_dtype", [None, torch.float32], ids=["default", "f32"])
@pytest.mark.parametrize("bias", [False, True], ids=["nobias", "bias"])
@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float8_e4m3fn], ids=["bf16", "e4m3"])
def test_matmul_swiglu(dtype, bias, out_dtype, shape) -> None:
    m, n, k = SWIGLU_SHAPES[shape]
    stored = out_dtype or torch.bfloat16
    a, b = operands(m, n, k, dtype, seed=n + k)
    bias_vector = torch.randn(n, device="cuda").to(stored) if bias else None
    poison_allocator(m, n // 2, stored)
    out = pipeir.matmul(a, b, bias=bias_vector, activation="swiglu", out_dtype=out_dtype)
    assert out.dtype == stored and out.shape == (m, n // 2)
    assert relative_error(out, swiglu_reference(a, b, bias=bias_vector)) <= TOLERANCE[dtype]


def test_matmul_swiglu_into_out_and_the_interpreter_agrees() -> None:
    """The lowering against the semantic reference itself: evaluate_epilogue of the kernel's
    own region on the float32 product."""
    from pipeir.analysis.interp import evaluate_epilogue, kernel_of
    from pipeir.dialects import pipe

    m, n, k = SWIGLU_SHAPES["edge"]
    config = GemmConfig(m=m, n=n, k=k, dtype="f8e4m3", scale="rowwise", bias=True, activation="swiglu")
    kernel = pipeir.compile(config, tune=False)
    a, b = operands(m, n, k, torch.float8_e4m3fn, seed=17)
    scale_a, scale_b = scales("rowwise", m, n, seed=17)
    bias = torch.randn(n, device="cuda").bfloat16()
    out = poisoned(m, n // 2, torch.bfloat16)
    kernel(a, b.t(), out, scale_a=scale_a.reshape(-1), scale_b=scale_b.reshape(-1), bias=bias)
    (epilogue, *_) = [op for op in kernel_of(kernel.ir).walk() if isinstance(op, pipe.EpilogueOp)]
    reference = evaluate_epilogue(epilogue, (a.float() @ b.float()).cpu(), {
        "scale_a": scale_a.reshape(-1).cpu(), "scale_b": scale_b.reshape(-1).cpu(), "bias": bias.cpu()})
    assert relative_error(out, reference.cuda()) <= 5e-3


@pytest.mark.parametrize("tile", [(128, 256, 128), (256, 128, 128), (128, 128, 128), (128, 256, 64), (256, 128, 64)],
                         ids=lambda t: "x".join(map(str, t)))
@pytest.mark.parametrize("out_dtype", ["bf16", "f32"])
def test_every_fp8_tuner_tile_with_rowwise_scales_bias_and_swiglu(tile, out_dtype) -> None:
    """Each tile holds or streams the operands differently (place-epilogue-loads) and stages
    a half-width subtile: every one must gate the same pairs."""
    m, n, k = 1000, 1040, 512
    kernel = pipeir.compile(GemmConfig(m=m, n=n, k=k, dtype="f8e4m3", out_dtype=out_dtype, tile=tile, scale="rowwise",
                                       bias=True, activation="swiglu"), tune=False)
    a, b = operands(m, n, k, torch.float8_e4m3fn, seed=19)
    scale_a, scale_b = scales("rowwise", m, n, seed=19)
    stored = kernel.c_dtype
    bias = torch.randn(n, device="cuda").to(stored)
    out = poisoned(m, n // 2, stored)
    kernel(a, b.t(), out, scale_a=scale_a.reshape(-1), scale_b=scale_b.reshape(-1), bias=bias)
    assert relative_error(out, swiglu_reference(a, b, scale_a, scale_b, bias)) <= 5e-3


@pytest.fixture(scope="module")
def dynamic_swiglu_kernel():
    return pipeir.compile(replace(DYNAMIC, activation="swiglu"), tune=False)


@pytest.mark.xdist_group("epilogue-dynamic-swiglu")
@pytest.mark.parametrize("shape", [(1, 256, 128), (129, 272, 4112), (2048, 1040, 1024)],
                         ids=lambda s: "x".join(map(str, s)))
def test_dynamic_shape_swiglu_kernel(dynamic_swiglu_kernel, shape) -> None:
    m, n, k = shape
    a, b = operands(m, n, k, torch.float8_e4m3fn, seed=m + 1)
    scale_a, scale_b = scales("rowwise", m, n, seed=n + 1)
    bias = torch.randn(n, device="cuda").bfloat16()
    out = poisoned(m, n // 2, torch.bfloat16)
    dynamic_swiglu_kernel(a, b.t(), out, scale_a=scale_a.reshape(-1), scale_b=scale_b.reshape(-1), bias=bias)
    assert relative_error(out, swiglu_reference(a, b, scale_a, scale_b, bias)) <= 5e-3
