"""pipeir's public entry points: `compile` (with autotuning), `matmul` (dispatch) and
`scaled_mm` (torch._scaled_mm's fp8 product with fused scales and bias).

`matmul(a, b)` is the dispatching entry point. Its kernels are compiled with M known
only at run time, one per (M class, shape of b, strides of b, dtype, device index)
(pipeir.tune.m_class: decode M <= 64, narrow M <= 128, medium M <= 256, wide M < 8192, large): every kernel takes a
row-major a and a b of a's dtype, and a new M of a known class costs no compile and no
tuning run. Every tier below hands the call to TVM-FFI, which checks each tensor's
dtype, shape, strides, alignment and device itself, so a tier that guesses wrong costs
time, never a wrong result:
  1. the kernel predicted to follow the previous call's kernel (learnt when the same
     kernel followed it twice in a row): no key at all;
     It is taken only while M stays in the kernel's class;
  2. the latest kernel used at the two shapes;
  3. the full key, which builds a kernel for a new (N, K, M class, ...) and has
     GemmKernel explain a bad call.
The device's compute capability is read once per device, on the first call.
A call with a bias, an activation or an out_dtype, and every `scaled_mm`, goes through one
key of its epilogue and shapes instead (`_epilogue_kernels`): those kernels take more
operands or store another dtype or shape.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch._subclasses.fake_tensor import is_fake
from xdsl.dialects.builtin import ModuleOp

from pipeir.compiler import compile_kernel
from pipeir.passes import HEADLINE_PIPELINE
from pipeir.runtime.kernel import GemmKernel
from pipeir.runtime.objects import DTYPE_NAMES, OUTPUT_DTYPE_NAMES, device_arch
from pipeir.target import EPILOGUE_ACTIVATIONS, Scale, is_gated
from pipeir.target.spec import GemmConfig
from pipeir.tune import class_range, dispatch_config, m_class, tuned_config


def compile(  # noqa: A001
    source: ModuleOp | GemmConfig,
    passes: Sequence[str] = HEADLINE_PIPELINE,
    *,
    tune: bool | None = None,
) -> GemmKernel:
    """Compile a configuration (built in the naive form) or a `pipe` module.

    A configuration's free fields come from the autotuner's cached choice for this
    problem and GPU, else the builder's defaults. `tune=True` (or PIPEIR_TUNE=1) runs
    the tuner now when nothing is cached (a CUDA device needed); `tune=False` (or
    PIPEIR_TUNE=0) keeps the defaults, cache or not (see pipeir.tune).
    """
    if not isinstance(source, (GemmConfig, ModuleOp)):
        raise TypeError(
            f"pipeir.compile takes a GemmConfig or a pipe module, got {type(source).__name__}")
    if isinstance(passes, str) or not all(isinstance(name, str) for name in passes):
        raise TypeError(f"passes must be a sequence of pass names, got {passes!r}")
    if isinstance(source, GemmConfig):
        source = tuned_config(source, passes, tune)
    return compile_kernel(source, passes)


_kernels: dict[tuple, object] = {}
"""Every kernel matmul built, by (M class, b.shape, b.stride(), dtype, device index):
what tells two kernels apart."""
_latest_kernel_of_shapes: dict[tuple, object] = {}
"""(a.shape, b.shape) -> the kernel the latest call with those shapes used. Two shapes
are the cheapest key that keeps apart the kernels of a process calling several
problems; TVM-FFI checks the rest (dtype, strides, alignment, device), and a call it
rejects goes through the full key."""
_predicted_next: dict = {}
"""kernel -> the kernel that the next call is tried with first, before any key is built:
set once two calls in a row after `kernel` used the same kernel, dropped when TVM-FFI
rejects it. A loop repeating one product, or a cycle of them (the layers of a model),
then costs no key at all."""
_last_follower: dict = {}
"""kernel -> the kernel of the call that followed it last time (None: the first call)."""
_previous_kernel = None


def matmul(a: torch.Tensor, b: torch.Tensor, out: torch.Tensor | None = None, *,
           bias: torch.Tensor | None = None, activation: str | None = None,
           out_dtype: torch.dtype | None = None, tune: bool | None = None) -> torch.Tensor:
    """`a @ b` with a pipeir kernel, like torch.matmul for 2-D CUDA tensors.

    a is (M, K) row-major; b is (K, N), either row-major or the transpose of a
    row-major (N, K) tensor (K-major, required for fp8). The output is f16 for f16
    inputs and bf16 otherwise, or `out_dtype` (torch.float16, torch.bfloat16 or
    torch.float32, like torch's out_dtype: the f32 accumulators converted once). The
    first call for a new dtype/N/K/layout/device and M
    class compiles (or loads from pipeir's cache) a kernel for every M of that class,
    with the class's tuned schedule if `pipeir-tune` recorded one, else a heuristic's;
    later calls at any M of the class reuse it. `tune=True` (or PIPEIR_TUNE=1) tunes a
    class that has no recorded schedule before building its kernel.

    Traced (torch.compile, torch.export, fake tensors) or with inputs that need
    gradients, the call is the custom op torch.ops.pipeir.mm (pipeir.ops), which
    torch sees through and differentiates.

    `bias` (a contiguous (N,) tensor of the output dtype) is added to every row, then
    `activation` (relu, gelu, gelu_tanh or silu) applied, in the kernel's epilogue,
    in float32 before the conversion: activation(a @ b + bias). `activation="swiglu"`
    gates column pairs instead: with x = a @ b + bias, column j of the (M, N / 2) output
    is silu(x[:, 2j]) * x[:, 2j + 1] (N must be a multiple of 16: N / 2 output columns
    of whole 16-byte rows); sm_90a only.
    """
    global _previous_kernel
    if _is_compiling() or (getattr(a, "requires_grad", False) or getattr(b, "requires_grad", False)) \
            and torch.is_grad_enabled():
        return _through_custom_op(a, b, out, bias, activation, out_dtype)
    if bias is not None or activation is not None or out_dtype is not None:
        return _matmul_with_epilogue(a, b, out, bias, activation, out_dtype, tune)
    kernel = _predicted_next.get(_previous_kernel)
    if kernel is not None and kernel.m_lo <= a.shape[0] <= kernel.m_hi:
        # GemmKernel.__call__'s hit path, inlined: a Python frame costs as much as a key.
        try:
            if out is None:
                result = torch.empty((a.shape[0], b.shape[1]), dtype=kernel.c_dtype, device=a.device)
            elif out.shape[0] != a.shape[0]:  # _output's check, inlined
                raise ValueError("out has another M than a")
            else:
                result = out
            kernel.function(a, b.t() if kernel.b_k_major else b, result)
        except (TypeError, ValueError, RuntimeError, AttributeError):
            _predicted_next.pop(_previous_kernel, None)  # another product this time: ask the keys
        else:
            _previous_kernel = kernel
            return result
    kernel, result = _matmul_by_shapes(a, b, out, tune)
    if _last_follower.get(_previous_kernel) is kernel:
        _predicted_next[_previous_kernel] = kernel
    _last_follower[_previous_kernel] = kernel
    _previous_kernel = kernel
    return result


def _output(kernel, a, b, out):
    """The output of a hit: a new (M, N) tensor, or `out` when its M is a's (a dynamic-M
    kernel takes M from a; TVM-FFI checks the rest of out against the kernel). A
    ValueError sends the call on to the keys, where GemmKernel explains it."""
    if a.shape[0] == 0:
        raise ValueError("M = 0 is GemmKernel's to answer, without a launch")
    if out is None:
        return torch.empty((a.shape[0], b.shape[1]), dtype=kernel.c_dtype, device=a.device)
    if out.shape[0] != a.shape[0]:
        raise ValueError("out has another M than a")
    return out


def _matmul_by_shapes(a, b, out, tune=None):
    try:
        kernel = _latest_kernel_of_shapes[a.shape, b.shape]
        result = _output(kernel, a, b, out)
        kernel.function(a, b.t() if kernel.b_k_major else b, result)
    except (KeyError, TypeError, ValueError, RuntimeError, AttributeError):
        # New shapes, another dtype, layout or device at these shapes, or a bad call:
        # the full key tells which, and GemmKernel explains a bad call.
        return _matmul_by_full_key(a, b, out, tune)
    return kernel, result


def _matmul_by_full_key(a, b, out, tune=None):
    if is_fake(a) or is_fake(b):  # traced without torch.compile (make_fx, FakeTensorMode)
        return None, _through_custom_op(a, b, out)
    try:
        key = (_m_class_of(a), b.shape, b.stride(), a.dtype, a.get_device())
    except AttributeError:
        raise TypeError(
            f"pipeir.matmul takes torch tensors, got {type(a).__name__} and {type(b).__name__}"
        ) from None
    kernel = _kernels.get(key)
    if kernel is None:
        kernel = _kernels[key] = _kernel_for(a, b, tune)
        lo, hi = class_range(key[0])
        kernel.m_lo, kernel.m_hi = lo, float("inf") if hi is None else hi
    _latest_kernel_of_shapes[a.shape, b.shape] = kernel
    return kernel, kernel(a, b.t() if kernel.b_k_major else b, out)


def _m_class_of(a) -> str:
    if a.dim() != 2:
        raise ValueError(f"a must be 2-D, got shape {tuple(a.shape)}")
    return m_class(max(a.shape[0], 1))  # M = 0: GemmKernel returns the empty product, no launch


_is_compiling = torch.compiler.is_compiling
"""Bound once: the hit path pays one call, not two attribute lookups (Dynamo folds the
function to True while it traces)."""


def _through_custom_op(a, b, out, bias=None, activation=None, out_dtype=None):
    result = torch.ops.pipeir.mm(a, b, bias, activation, out_dtype)  # pipeir.ops, which `import pipeir` loads with matmul
    return result if out is None else out.copy_(result)


def loaded_kernels() -> list:
    """The GemmKernels pipeir.matmul has built in this process, oldest first."""
    return list(_kernels.values())


def _kernel_for(a: torch.Tensor, b: torch.Tensor, tune: bool | None = None, **epilogue):
    """The run-time-M kernel of a @ b for a's M class, with `epilogue` (GemmConfig's
    out_dtype, scale, bias, activation fields), after checking a and b (TypeError /
    ValueError naming what is wrong)."""
    for name, tensor in (("a", a), ("b", b)):
        if tensor.dtype not in DTYPE_NAMES:
            raise TypeError(
                f"{name} has dtype {tensor.dtype}; pipeir.matmul takes "
                + ", ".join(str(d) for d in DTYPE_NAMES)
            )
        if tensor.dim() != 2:
            raise ValueError(f"{name} must be 2-D, got shape {tuple(tensor.shape)}")
        if tensor.device.type != "cuda":
            raise ValueError(f"{name} is on {tensor.device}; pipeir kernels take CUDA tensors")
    if a.dtype != b.dtype:
        raise TypeError(f"a and b must have the same dtype, got {a.dtype} and {b.dtype}")
    if b.device != a.device:
        raise ValueError(f"b is on {b.device} but a is on {a.device}")
    (m, k), (b_k, n) = a.shape, b.shape
    if b_k != k:
        raise ValueError(f"a is (M, K) = {tuple(a.shape)} but b (K, N) = {tuple(b.shape)} has K = {b_k}")
    if a.stride() != (k, 1):
        raise ValueError(f"a must be row-major (strides ({k}, 1)), got strides {a.stride()}")
    if b.stride() == (n, 1):
        b_major = "mn"
    elif b.stride() == (1, k):
        b_major = "k"
    else:
        raise ValueError(
            f"b must be row-major (strides ({n}, 1)) or the transpose of a row-major (N, K) "
            f"tensor (strides (1, {k})), got strides {b.stride()}"
        )
    size = a.element_size()
    gated = is_gated(epilogue.get("activation"))
    if (k * size) % 16 or (b_major == "mn" and (n * size) % 16) or n % (16 if gated else 8):
        raise ValueError(
            f"TMA moves rows in 16-byte units: K = {k}{' and N = ' + str(n) if b_major == 'mn' else ''} "
            f"must be a multiple of {16 // size} for {a.dtype}, and N = {n} a multiple of "
            + ("16 (swiglu stores N / 2 columns, a multiple of 8)" if gated else "8 (the output's columns)")
        )
    arch = device_arch(a.device)
    config = GemmConfig(m=None, n=n, k=k, dtype=DTYPE_NAMES[a.dtype], b_major=b_major, arch=arch, **epilogue)
    return compile(dispatch_config(config, m, tune_now=tune), tune=False)


_epilogue_kernels: dict[tuple, object] = {}
"""Kernels with an epilogue (bias, activation, scales), by everything that tells them
apart: shapes, strides and dtypes of every operand, the epilogue, the device."""


def _operand_key(tensor) -> tuple | None:
    return None if tensor is None else (tensor.shape, tensor.stride(), tensor.dtype)


def _check_vector(name: str, tensor, length: int, dtype: torch.dtype, device, what: str) -> None:
    if not isinstance(tensor, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(tensor).__name__}")
    if tensor.dtype != dtype:
        raise TypeError(f"{name} must have dtype {dtype} ({what}), got {tensor.dtype}")
    if tuple(tensor.shape) != (length,) or tensor.stride() != (1,):
        raise ValueError(f"{name} must be a contiguous ({length},) tensor ({what}), got shape {tuple(tensor.shape)}")
    if tensor.device != device:
        raise ValueError(f"{name} is on {tensor.device} but a is on {device}")


def _output_dtype_name(out_dtype) -> str:
    """The configuration's name of the output dtype `out_dtype` (TypeError naming the choices)."""
    name = OUTPUT_DTYPE_NAMES.get(out_dtype)
    if name is None:
        raise TypeError(
            f"out_dtype must be one of {', '.join(map(str, OUTPUT_DTYPE_NAMES))}, got {out_dtype}")
    return name


def _matmul_with_epilogue(a, b, out, bias, activation, out_dtype, tune=None):
    if is_fake(a) or is_fake(b):  # traced without torch.compile (make_fx, FakeTensorMode)
        return _through_custom_op(a, b, out, bias, activation, out_dtype)
    try:
        key = (_m_class_of(a), b.shape, b.stride(), a.dtype, a.device, _operand_key(bias), activation, out_dtype)
    except AttributeError:  # not tensors: _kernel_for and _check_vector say which
        key = None
    kernel = _epilogue_kernels.get(key)
    if kernel is None:
        if not (isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor)):
            raise TypeError(f"pipeir.matmul takes torch tensors, got {type(a).__name__} and {type(b).__name__}")
        if activation is not None and activation not in EPILOGUE_ACTIVATIONS:
            raise ValueError(f"activation must be one of {', '.join(EPILOGUE_ACTIVATIONS)}, got {activation!r}")
        out_dtype_name = None if out_dtype is None else _output_dtype_name(out_dtype)
        kernel = _kernel_for(a, b, tune, out_dtype=out_dtype_name, bias=bias is not None, activation=activation)
        if bias is not None:
            _check_vector("bias", bias, b.shape[1], kernel.c_dtype, a.device, "one value per column of the output")
        _epilogue_kernels[key] = kernel  # (a key of None is never looked up: the checks raised)
    operands = {"bias": bias} if bias is not None else {}
    return kernel(a, b.t() if kernel.b_k_major else b, out, **operands)


FP8_DTYPES = (torch.float8_e4m3fn, torch.float8_e5m2)


def scaled_mm(a: torch.Tensor, b: torch.Tensor, scale_a: torch.Tensor, scale_b: torch.Tensor,
              bias: torch.Tensor | None = None, out_dtype: torch.dtype = torch.bfloat16, *,
              tune: bool | None = None) -> torch.Tensor:
    """(a @ b) * scale_a * scale_b + bias in out_dtype, like torch._scaled_mm.

    a is an (M, K) row-major fp8 tensor (float8_e4m3fn or float8_e5m2), b a (K, N) fp8
    tensor of the same dtype that is K-major (the transpose of a row-major (N, K) one).
    The scales are float32: tensorwise, `()` or `(1, 1)` each, or rowwise, scale_a
    (M, 1) and scale_b (1, N). out_dtype is bfloat16, float16 or float32; bias is an
    optional contiguous (N,) tensor of out_dtype. The product accumulates in float32 and the scales and bias
    apply in float32 before the one conversion. Bad arguments raise TypeError /
    ValueError before any launch. Kernels are built per M class as by `matmul`; `tune`
    as there (True or PIPEIR_TUNE=1: tune a class with no recorded schedule first).
    """
    if _is_compiling() or is_fake(a) or is_fake(b):  # traced: torch sees the custom op (pipeir.ops)
        return torch.ops.pipeir.scaled_mm(a, b, scale_a, scale_b, bias, out_dtype)
    try:
        # Rowwise scale shapes hold M: the key holds only whether they are rowwise.
        key = (_m_class_of(a), b.shape, b.stride(), a.dtype, b.dtype, a.device, scale_a.dim() == 2 and
               scale_a.shape[0] != 1, _operand_key(scale_b), _operand_key(bias), out_dtype)
    except AttributeError:  # not tensors: _check_scaled_mm says which
        key = None
    kernel = _epilogue_kernels.get(key)
    if kernel is None or a.shape[0] == 0 or tuple(scale_a.shape) not in ((), (1, 1), (a.shape[0], 1)):
        scale = _check_scaled_mm(a, b, scale_a, scale_b, bias, out_dtype)
        (m, k), n = a.shape, b.shape[1]
        config = GemmConfig(m=None, n=n, k=k, dtype=DTYPE_NAMES[a.dtype], out_dtype=OUTPUT_DTYPE_NAMES[out_dtype],
                            arch=device_arch(a.device), scale=scale, bias=bias is not None)
        kernel = _epilogue_kernels[key] = compile(dispatch_config(config, m, tune_now=tune), tune=False)
    operands = (scale_a.reshape(-1), scale_b.reshape(-1), *((bias,) if bias is not None else ()))
    out = torch.empty((a.shape[0], b.shape[1]), dtype=out_dtype, device=a.device)
    try:
        # The key held every shape, stride and dtype: TVM-FFI checks the rest (devices).
        kernel.function(a, b.t(), out, *operands)
    except (TypeError, ValueError):
        kernel(a, b.t(), out, **dict(zip(("scale_a", "scale_b", "bias"), operands)))  # explains the rejection
        raise
    return out


def _check_scaled_mm(a, b, scale_a, scale_b, bias, out_dtype) -> str:
    """The scale kind (tensorwise or rowwise) of a valid scaled_mm call; TypeError /
    ValueError naming the first thing wrong otherwise."""
    for name, tensor in (("a", a), ("b", b), ("scale_a", scale_a), ("scale_b", scale_b)):
        if not isinstance(tensor, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(tensor).__name__}")
    for name, tensor in (("a", a), ("b", b)):
        if tensor.dtype not in FP8_DTYPES:
            raise TypeError(f"{name} must be float8_e4m3fn or float8_e5m2, got {tensor.dtype}")
        if tensor.dim() != 2:
            raise ValueError(f"{name} must be 2-D, got shape {tuple(tensor.shape)}")
    if a.dtype != b.dtype:
        raise TypeError(f"a and b must have the same dtype, got {a.dtype} and {b.dtype}")
    _output_dtype_name(out_dtype)
    (m, k), (b_k, n) = a.shape, b.shape
    if b_k != k:
        raise ValueError(f"a is (M, K) = {tuple(a.shape)} but b (K, N) = {tuple(b.shape)} has K = {b_k}")
    if a.stride() != (k, 1):
        raise ValueError(f"a must be row-major (strides ({k}, 1)), got strides {a.stride()}")
    if b.stride() != (1, k):
        raise ValueError(
            f"b must be K-major, the transpose of a row-major (N, K) tensor (strides (1, {k})), "
            f"got strides {b.stride()}")
    for name, tensor in (("scale_a", scale_a), ("scale_b", scale_b)):
        if tensor.dtype != torch.float32:
            raise TypeError(f"{name} must be float32, got {tensor.dtype}")
        if tensor.device != a.device:
            raise ValueError(f"{name} is on {tensor.device} but a is on {a.device}")
    tensorwise = all(tuple(s.shape) in ((), (1, 1)) for s in (scale_a, scale_b))
    rowwise = tuple(scale_a.shape) == (m, 1) and tuple(scale_b.shape) == (1, n)
    if not (tensorwise or rowwise):
        raise ValueError(
            f"scales must both be tensorwise (shape () or (1, 1)) or rowwise (scale_a (M, 1) = ({m}, 1) and "
            f"scale_b (1, N) = (1, {n})), got scale_a {tuple(scale_a.shape)} and scale_b {tuple(scale_b.shape)}")
    if rowwise and not (scale_a.is_contiguous() and scale_b.is_contiguous()):
        raise ValueError("rowwise scales must be contiguous")
    if bias is not None:
        _check_vector("bias", bias, n, out_dtype, a.device, "one value per column of the output, of out_dtype")
    if 0 in (m, n, k):
        raise ValueError(f"scaled_mm needs M, N and K of at least 1, got a {tuple(a.shape)} and b {tuple(b.shape)}")
    if (k * a.element_size()) % 16 or n % 8:
        raise ValueError(f"TMA moves rows in 16-byte units: K = {k} must be a multiple of 16 and N = {n} of 8")
    for name, tensor in (("a", a), ("b", b)):
        if tensor.device.type != "cuda":
            raise ValueError(f"{name} is on {tensor.device}; pipeir kernels take CUDA tensors")
    if b.device != a.device:
        raise ValueError(f"b is on {b.device} but a is on {a.device}")
    return Scale.TENSORWISE if tensorwise else Scale.ROWWISE
