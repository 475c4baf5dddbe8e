"""Getting a compiled kernel cheaply, and calling it cheaply.

`compiled_function(source, arch)` returns the TVM-FFI function of a generated CuTe
DSL module. The first process to need a kernel compiles it with `cute.compile(...,
"--enable-tvm-ffi")` and exports the result (`export_to_c`) into the `objects`
folder of pipeir's cache (pipeir.runtime.cache), keyed by the source, the CuTe DSL version
and the target; every later process loads that object in milliseconds.

`pipeir.api.matmul` dispatches calls onto kernels built through here. Its kernels are told apart by (shape of
a, shape of b, strides of b, dtype, device index): every kernel takes a row-major a and
a b of a's dtype. Every tier below hands the call to TVM-FFI, which checks each tensor's
dtype, shape, strides, alignment and device itself, so a tier that guesses wrong costs
time, never a wrong result:
  1. the kernel predicted to follow the previous call's kernel (learnt when the same
     kernel followed it twice in a row): no key at all;
  2. the latest kernel used at the two shapes;
  3. the full key, which builds a kernel for a new problem and has GemmKernel explain
     a bad call.
The device's compute capability is read once per device, on the first call.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass

import torch

from pipeir.runtime.cache import cache_subdir

EXPORTED_SYMBOL = "pipeir_gemm"
COMPILE_OPTIONS = "--enable-tvm-ffi"
ARCH_OF_CAPABILITY = {(9, 0): "sm_90a"}
"""Devices pipeir can run on: the lowering emits sm_90a kernels only (sm_100a IR is
accepted by the passes but not lowered)."""
LOWERED_ARCHS = tuple(sorted(set(ARCH_OF_CAPABILITY.values())))
"""Targets the lowering and the CuTe DSL compile support."""


@dataclass
class LoadedFunction:
    function: object
    """tvm_ffi.Function taking (a, b, c) torch tensors; launches on the current stream."""
    origin: str
    """"compiled" (this process ran cute.compile) or "object cache" (loaded from disk)."""


def object_key(source: str, arch: str) -> str:
    import cutlass

    text = f"nvidia-cutlass-dsl {cutlass.__version__}\n{COMPILE_OPTIONS} --gpu-arch {arch}\n{source}"
    return hashlib.sha256(text.encode()).hexdigest()


def object_path(source: str, arch: str):
    return cache_subdir("objects") / f"{object_key(source, arch)}.o"


def compiled_function(source: str, arch: str) -> LoadedFunction:
    """The kernel in `source` (a generated CuTe DSL module) for `arch`."""
    import cutlass.cute as cute
    from cutlass.base_dsl.common import DSLRuntimeError

    from pipeir.runtime.sources import load_kernel_module

    path = object_path(source, arch)
    if path.exists():
        try:
            module = cute.runtime.load_module(str(path), enable_tvm_ffi=True)
            return LoadedFunction(getattr(module, EXPORTED_SYMBOL), "object cache")
        except (RuntimeError, DSLRuntimeError):
            path.unlink(missing_ok=True)  # not a loadable object (damaged on disk): compile again
    python_module = load_kernel_module(source)
    compiled = python_module.compile_kernel(COMPILE_OPTIONS, f"--gpu-arch {arch}")
    handle, temporary = tempfile.mkstemp(suffix=".o", dir=path.parent)
    os.close(handle)
    try:
        compiled.export_to_c(temporary, function_name=EXPORTED_SYMBOL)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return LoadedFunction(compiled, "compiled")


_arch_of_device: dict[int, str] = {}


def device_arch(device: torch.device) -> str:
    """The pipeir target of a CUDA device (read from the driver once per device)."""
    index = device.index if device.index is not None else torch.cuda.current_device()
    arch = _arch_of_device.get(index)
    if arch is None:
        capability = torch.cuda.get_device_capability(index)
        if capability not in ARCH_OF_CAPABILITY:
            name = torch.cuda.get_device_name(index)
            raise RuntimeError(
                f"{name} (cuda:{index}) has compute capability {capability[0]}.{capability[1]}; "
                "pipeir kernels run on sm_90a (H100/H200)"
            )
        arch = _arch_of_device[index] = ARCH_OF_CAPABILITY[capability]
    return arch


TORCH_DTYPES = {
    "f16": torch.float16,
    "bf16": torch.bfloat16,
    "f8e4m3": torch.float8_e4m3fn,
    "f8e5m2": torch.float8_e5m2,
}
DTYPE_NAMES = {dtype: name for name, dtype in TORCH_DTYPES.items()}
