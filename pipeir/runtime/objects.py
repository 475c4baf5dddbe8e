"""Getting a compiled kernel cheaply.

`compiled_function(source, arch)` returns the TVM-FFI function of a generated CuTe
DSL module. The first process to need a kernel compiles it with `cute.compile(...,
"--enable-tvm-ffi")` and exports the result (`export_to_c`) into the `objects`
folder of pipeir's cache (pipeir.runtime.cache), keyed by the source, the code of the
collectives it runs (`collectives_digest`), the CuTe DSL version and the target, with the
object's sha256 beside it; every later process checks the digest and loads that object
in milliseconds. An object that fails the check or does
not load is compiled again; a cache that cannot be written costs a warning.
How pipeir.api.matmul dispatches calls onto these kernels: see pipeir.api.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pathlib
import tempfile
from dataclasses import dataclass

import torch

from pipeir.runtime.cache import cache_subdir, warn_unwritable, write_atomically
from pipeir.runtime.progress import note
from pipeir.target import TARGETS

EXPORTED_SYMBOL = "pipeir_gemm"
COMPILE_OPTIONS = "--enable-tvm-ffi"
ARCH_OF_CAPABILITY = {(9, 0): "sm_90a", (10, 0): "sm_100a"}
"""The target of each device pipeir builds kernels for: Hopper (H100/H200) and Blackwell
B200/GB200 (compute capability 10.0; its sm_100a kernels are compile-verified only,
docs/lowering.md)."""
LOWERED_ARCHS = tuple(dict.fromkeys(ARCH_OF_CAPABILITY.values()))
"""Targets the lowering and the CuTe DSL compile support."""


@dataclass
class LoadedFunction:
    function: object
    """tvm_ffi.Function taking (a, b, c) torch tensors; launches on the current stream."""
    origin: str
    """"compiled" (this process ran cute.compile) or "object cache" (loaded from disk)."""


PACKAGE_ROOT = pathlib.Path(__file__).resolve().parents[1]
COLLECTIVE_SOURCES = ("lower/cute", "target")
"""The folders of the pipeir package whose code a generated module runs while CuTe DSL
compiles it: the collectives it constructs and the target rules they read."""


@functools.cache
def collectives_digest(package_root: pathlib.Path = PACKAGE_ROOT) -> str:
    """The sha256 of the collectives' sources (COLLECTIVE_SOURCES, every .py file, by
    path and bytes). A generated module names its collectives and their configuration, not
    their code: without this in the key, an object compiled before a change to a
    collective (a pipeir upgrade, a local edit) would still be loaded after it."""
    digest = hashlib.sha256()
    for folder in COLLECTIVE_SOURCES:
        for path in sorted((package_root / folder).rglob("*.py")):
            digest.update(path.relative_to(package_root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def object_key(source: str, arch: str) -> str:
    import cutlass

    text = (f"nvidia-cutlass-dsl {cutlass.__version__}\n{COMPILE_OPTIONS} --gpu-arch {arch}\n"
            f"collectives {collectives_digest()}\n{source}")
    return hashlib.sha256(text.encode()).hexdigest()


def object_path(source: str, arch: str) -> pathlib.Path:
    return cache_subdir("objects") / f"{object_key(source, arch)}.o"


def digest_path(path: pathlib.Path) -> pathlib.Path:
    """The sha256 of an object, written beside it: a damaged object can still be a
    loadable ELF file (flipped bytes inside a section), so loading is no check."""
    return path.with_suffix(".sha256")


def compiled_function(source: str, arch: str) -> LoadedFunction:
    """The kernel in `source` (a generated CuTe DSL module) for `arch`: loaded from the
    object cache when an intact object is there, else compiled (and exported to it)."""
    from pipeir.runtime.sources import load_kernel_module

    try:
        path = object_path(source, arch)
    except OSError as error:  # no cache folder: compile, keep nothing
        warn_unwritable("the compiled kernel", error)
        path = None
    if path is not None:
        function = load_object(path)
        if function is not None:
            return LoadedFunction(function, "object cache")
    note(f"compiling a kernel for {arch} with CuTe DSL (seconds; the object is cached for later processes)")
    python_module = load_kernel_module(source)
    compiled = python_module.compile_kernel(COMPILE_OPTIONS, f"--gpu-arch {arch}")
    if path is not None:
        export_object(compiled, path)
    return LoadedFunction(compiled, "compiled")


def load_object(path: pathlib.Path):
    """The exported function in the object at `path`, or None when there is none or it
    fails its digest (then it is removed, to be written again)."""
    import cutlass.cute as cute
    from cutlass.base_dsl.common import DSLRuntimeError

    try:
        data = path.read_bytes()
        expected = digest_path(path).read_text().strip()
    except OSError:  # absent, or half of a pair another process is writing
        return None
    if hashlib.sha256(data).hexdigest() == expected:
        try:
            return getattr(cute.runtime.load_module(str(path), enable_tvm_ffi=True), EXPORTED_SYMBOL)
        except (RuntimeError, DSLRuntimeError, AttributeError):
            pass  # intact bytes of an object this CuTe DSL cannot load
    for damaged in (path, digest_path(path)):
        try:
            damaged.unlink(missing_ok=True)
        except OSError:
            pass  # a read-only cache: the next process checks it again
    return None


def export_object(compiled, path: pathlib.Path) -> None:
    """Export `compiled` to `path` with its digest; a cache that cannot be written
    (read-only, full) costs a warning, not the kernel."""
    from cutlass.base_dsl.common import DSLRuntimeError

    temporary = None
    try:
        handle, temporary = tempfile.mkstemp(suffix=".o", dir=path.parent)
        os.close(handle)
        compiled.export_to_c(temporary, function_name=EXPORTED_SYMBOL)
        digest = hashlib.sha256(pathlib.Path(temporary).read_bytes()).hexdigest()
        write_atomically(digest_path(path), f"{digest}\n".encode())
        os.replace(temporary, path)
    except (OSError, RuntimeError, DSLRuntimeError) as error:  # the DSL reports a failed write itself
        warn_unwritable("the compiled kernel", error)
    finally:
        if temporary is not None and os.path.exists(temporary):
            os.unlink(temporary)


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
                "pipeir kernels run on sm_90a (H100/H200) and sm_100a (B200)"
            )
        arch = _arch_of_device[index] = ARCH_OF_CAPABILITY[capability]
    return arch


TORCH_DTYPES = {
    "f16": torch.float16,
    "bf16": torch.bfloat16,
    "f8e4m3": torch.float8_e4m3fn,
    "f8e5m2": torch.float8_e5m2,
    "f32": torch.float32,
}
"""The torch dtype of each of pipeir's dtype names (pipeir.target.ELEMENT_TYPES): of A, B,
C and the epilogue operands (`epi.operand`; scales are float32)."""
DTYPE_NAMES = {
    TORCH_DTYPES[name]: name for name in dict.fromkeys(
        name for target in TARGETS.values() for name in target.OPERAND_DTYPES)
}
"""The torch dtypes A and B may have, and their names (the targets' OPERAND_DTYPES)."""
OUTPUT_DTYPE_NAMES = {
    TORCH_DTYPES[name]: name for name in dict.fromkeys(
        name for target in TARGETS.values() for name in target.OUTPUT_DTYPES)
}
"""The torch dtypes C may have, and their names (the targets' OUTPUT_DTYPES)."""
