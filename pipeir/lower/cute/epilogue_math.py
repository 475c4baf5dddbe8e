"""The element-wise functions of `epi` ops in CuTe DSL, on the f32 values (TensorSSA)
of one epilogue subtile. The generated epilogue bodies call them; what they compute is
defined in pipeir.analysis.interp (ACTIVATIONS), which the tests hold them to.

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


def gelu(x):
    return 0.5 * x * (1.0 + cute.math.erf(x * SQRT_HALF))


def gelu_tanh(x):
    inner = x * (SQRT_2_OVER_PI + (SQRT_2_OVER_PI * GELU_TANH_CUBIC) * (x * x))
    half = 0.5 * x
    return half + half * cute.math.tanh(inner, fastmath=True)


def silu(x):
    # x sigmoid(x) = h + h tanh(h) with h = x / 2: tanh saturates to -1 far below zero,
    # giving silu's limit 0 without the overflow of exp(-x).
    half = 0.5 * x
    return half + half * cute.math.tanh(half, fastmath=True)
