"""The epilogue activations as torch computes them: the reference of the fused epilogue
(the tuner's check of a fused candidate, pipeir.tune) and, where pipeir.api.matmul has no
fused epilogue, the epilogue itself (`pipeir.ops.mm`, which takes these names)."""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

ACTIVATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "relu": F.relu,
    "gelu": F.gelu,
    "gelu_tanh": lambda z: F.gelu(z, approximate="tanh"),
    "silu": F.silu,
    "swiglu": lambda z: F.silu(z[:, 0::2]) * z[:, 1::2],
}
"""activation name -> its function of the f32 pre-activation z. swiglu gates column
pairs: its output has half the columns."""
