"""The element-wise functions of `epi` ops in CuTe DSL, on the f32 values (TensorSSA)
of one epilogue subtile. The generated epilogue bodies call them; what they compute is
defined in pipeir.analysis.interp (ACTIVATIONS), which the tests hold them to."""

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
    return 0.5 * x * (1.0 + cute.math.tanh(SQRT_2_OVER_PI * (x + GELU_TANH_CUBIC * x * x * x)))


def silu(x):
    # exp(-x) overflows to inf for x < -88: x / inf is -0, silu's limit.
    return x / (1.0 + cute.math.exp(-x, fastmath=True))
