"""The host side every GEMM module shares: shape-only arguments for `cute.compile`.

A generated module compiles `gemm_host(a, b, c, stream)` once on fake tensors, so the
object can be built on a machine without a GPU and later called through TVM-FFI with
torch tensors: a (M, K), b (N, K) when K-major or (K, N) when MN-major, c (M, N) (or
(M, N / 2) for a gated epilogue), all row-major, 16-byte aligned, then the epilogue
operands: a scalar as a 1-element vector, an (M,) or (N,) vector, an (M, N) row-major
matrix. A dynamic size is a symbolic Int32 (K and, for an MN-major B, N divisible by the
elements of 16 bytes; C's columns by 8). A split-K kernel then takes its scheduler's
workspace (f32) and tickets (int32), 1-D, of run-time sizes.
"""

from __future__ import annotations

import cutlass.cute as cute

from pipeir.lower.cute.collectives import cutlass_type
from pipeir.target import schedule


def fake_gemm_arguments(mainloop, epilogue, problem, scheduler=None):
    m, n, k = problem
    elements_per_16_bytes = 128 // mainloop.a_type.width
    # A static M of 1 is compiled as a run-time M: CuTe treats a static extent of 1 as a
    # trivial mode, and the TMA descriptors built over it fault on the GPU ("illegal
    # instruction"; M = 2 and a run-time M = 1 are right). The kernel still accepts only
    # the M it was built for (GemmKernel checks it).
    m = cute.sym_int32(symbol="M") if m is None or m == 1 else m
    n = cute.sym_int32(divisibility=8, symbol="N") if n is None else n
    k = cute.sym_int32(divisibility=elements_per_16_bytes, symbol="K") if k is None else k
    b_shape = (n, k) if mainloop.b_major == "k" else (k, n)
    a = cute.runtime.make_fake_compact_tensor(mainloop.a_type, (m, k), stride_order=(1, 0), assumed_align=16)
    b = cute.runtime.make_fake_compact_tensor(mainloop.b_type, b_shape, stride_order=(1, 0), assumed_align=16)
    # C has the product's shape, or half its columns for a gated epilogue (another symbol
    # when N is known at run time only: C's extent, not B's, says how many columns are stored).
    c_columns = n
    if epilogue.gated:
        c_columns = cute.sym_int32(divisibility=8, symbol="N_C") if problem[1] is None else n // 2
    c = cute.runtime.make_fake_compact_tensor(epilogue.c_type, (m, c_columns), stride_order=(1, 0), assumed_align=16)
    operands = [
        cute.runtime.make_fake_compact_tensor(
            cutlass_type(dtype), shape := epilogue.operand_shape(name, m, n),
            stride_order=tuple(reversed(range(len(shape)))), assumed_align=4 if dtype == "f32" else 2)
        for name, _, dtype in epilogue.operands
    ]
    if scheduler is not None:  # split-K: the workspace and the tickets
        operands += [
            cute.runtime.make_fake_compact_tensor(
                cutlass_type(dtype), (cute.sym_int32(divisibility=schedule.SPLIT_K_BUFFER_MULTIPLE, symbol=symbol),), assumed_align=16)
            for dtype, symbol in (("f32", "workspace"), ("i32", "tickets"))
        ]
    return a, b, c, *operands, cute.runtime.make_fake_stream(use_tvm_ffi_env_stream=True)


def compile_gemm(host_function, fake_arguments, options: str, extra_options: str):
    """cute.compile the module's host function on its fake arguments."""
    return cute.compile(host_function, *fake_arguments, options=" ".join(o for o in (options, extra_options) if o))
