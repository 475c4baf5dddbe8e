"""What a collective is, for the lowering: the interface the IR walk (emit.py) and the
generated module rely on.

A GEMM kernel is a mainloop, an epilogue and a tile scheduler (CUTLASS 3.x's
`GemmUniversal<Mainloop, Epilogue, TileScheduler>`). Each is a plain Python class in
`pipeir/lower/cute/` whose methods are CuTe DSL code (`@cute.jit` where they branch on
run-time values). Each owns its shared memory, its kernel arguments and its ops:

  * host side: `kernel_params(...)` (called inside the `@cute.jit` host function) returns
    the values the collective needs on the device, in the order of its `KERNEL_PARAMS`
    (name, CuTe type) list, from which the generated kernel's signature is written;
  * device side: `device(smem, *params)` (called once at the top of the kernel by every
    thread) allocates its shared memory and returns a view whose methods implement the
    `pipe` ops the collective owns (the `OPS` tuple).

The generated module constructs each collective once, as a module constant, from the
kernel's configuration (`constructor()` gives that line), and pipeir.lower.cute.emit
turns every `pipe` op into a call of the collective that owns it. An op no collective
owns is refused with a located error.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields


@dataclass(frozen=True)
class Collective:
    """Base of the collectives: a frozen configuration of compile-time constants.

    Subclasses set `KERNEL_PARAMS` (the kernel arguments they take, as (name, CuTe type
    expression) pairs) and `OPS` (the `pipe` op names they lower)."""

    KERNEL_PARAMS = ()
    OPS = ()

    def constructor(self) -> str:
        """The Python expression that builds this collective in the generated module."""
        arguments = ", ".join(f"{f.name}={_literal(getattr(self, f.name))}" for f in fields(self))
        return f"{type(self).__name__}({arguments})"

    @classmethod
    def import_line(cls) -> str:
        return f"from {cls.__module__} import {cls.__name__}"


class DeviceView:
    """Base of a collective's in-kernel view. The views are read by the role functions
    inside run-time loops and ifs, and CuTe DSL carries every object a loop or branch
    touches: a view carries no run-time value of its own (what it holds is fixed for the
    kernel's lifetime), so it flattens to nothing and comes back as itself."""

    def __extract_mlir_values__(self) -> list:
        return []

    def __new_from_mlir_values__(self, values: list):
        return self


def _literal(value) -> str:
    if isinstance(value, str):
        return repr(str(value))  # an enum member prints as its plain value
    if isinstance(value, Sequence):
        return "(" + ", ".join(_literal(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    return repr(value)


CUTLASS_TYPES = {
    "f16": "Float16",
    "bf16": "BFloat16",
    "f8e4m3": "Float8E4M3FN",
    "f8e5m2": "Float8E5M2",
    "f32": "Float32",
    "i32": "Int32",
}
"""pipeir's dtype names -> the cutlass numeric type names (collectives hold the name, a
string, so that their configuration prints as plain constants)."""


def cutlass_type(name: str):
    import cutlass

    return getattr(cutlass, CUTLASS_TYPES[name])
