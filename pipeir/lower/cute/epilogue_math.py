"""The element-wise functions of `epi` ops (and SwiGLU's gate of column pairs) in CuTe
DSL, on the f32 values (TensorSSA) of one epilogue subtile. The generated epilogue
bodies call them; what they compute is defined in pipeir.analysis.interp (ACTIVATIONS,
`epi.swiglu`'s rule), which the tests hold them to.

The epilogue runs while the tensor cores wait (both MMA warpgroups store together), so
every instruction per element shows in the kernel's time: the sigmoid of silu and the
tanh of gelu_tanh are one `tanh.approx.f32` each (a single MUFU op, relative error
about 2^-11, below the bf16 output's 2^-9), not an exp and a division."""

from __future__ import annotations

import math

import cutlass.cute as cute

SQRT_HALF = math.sqrt(0.5)
SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
GELU_TANH_CUBIC = 0.044715


def relu(x):
    return cute.where(x > 0.0, x, 0.0)


ERF_P = 0.3275911
ERF_A = (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)
"""erf(z) = 1 - t (a1 + t (a2 + ... t a5)) exp(-z^2), t = 1 / (1 + p z) for z >= 0, within
1.5e-7 (Abramowitz and Stegun 7.1.26): one exp and one reciprocal, and few live values,
where the library erf's branches spilled at 256x128 (102 sites beside the accumulators)."""


def gelu(x):
    z = cute.math.abs(x) * SQRT_HALF
    # rcp.approx.ftz (one MUFU op, within 1 ulp; t's denominator is >= 1, so flushing
    # denormals changes nothing): the IEEE division called a slow-path subroutine per
    # element (bf16 bias + gelu at 4096^3, static SASS: 4,795 -> 2,936 instructions on
    # sm_90a, 8,342 -> 4,445 on sm_100a)
    t = cute.math.rcp(1.0 + ERF_P * z, approx=True, ftz=True)
    a1, a2, a3, a4, a5 = ERF_A
    poly = t * (a1 + t * (a2 + t * (a3 + t * (a4 + t * a5))))
    erfc = poly * cute.math.exp(-(z * z), fastmath=True)  # 1 - erf(|x| / sqrt 2)
    # x (1 + erf(x / sqrt 2)) / 2 = x - x erfc / 2 for x >= 0, x erfc / 2 for x < 0
    half = 0.5 * x * erfc
    return cute.where(x >= 0.0, x - half, half)


def gelu_tanh(x):
    inner = x * (SQRT_2_OVER_PI + (SQRT_2_OVER_PI * GELU_TANH_CUBIC) * (x * x))
    half = 0.5 * x
    return half + half * cute.math.tanh(inner, fastmath=True)


def silu(x):
    # x sigmoid(x) = h + h tanh(h) with h = x / 2: tanh saturates to -1 far below zero,
    # giving silu's limit 0 without the overflow of exp(-x).
    half = 0.5 * x
    return half + half * cute.math.tanh(half, fastmath=True)


def swiglu(x):
    # The epilogue collective orders a subtile's values so that elements 2i and 2i + 1 are
    # the pair of columns (2j, 2j + 1) of one row (docs/epilogue.md): as a (2, pairs)
    # tensor (column-major), row 0 holds the gates and row 1 the values they gate.
    pairs = x.reshape((2, cute.size(x.shape) // 2))
    return silu(pairs[0, None]) * pairs[1, None]
