"""Adapters that time CUTLASS's own CuTe DSL Hopper GEMM examples beside pipeir
(bench/gemm.py --cutlass-examples DIR). DIR is a CUTLASS checkout you provide;
nothing from it is part of pipeir. Each example is compiled once per problem for
the tensors bench/gemm.py times, with its documented best settings (tile 128x256,
cluster 2x1), and checked against the reference before it is timed."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

EXAMPLES = {
    # label: (file name, class name, kind): "persistent" and "plain" compute A @ B^T;
    # "scaled_gelu" is the persistent kernel with a fused epilogue, gelu(scale * A @ B^T)
    # with its erf gelu (fp8 only: the example's own constraint)
    "CUTLASS example WS persistent": ("dense_gemm_persistent.py", "HopperWgmmaGemmPersistentKernel", "persistent"),
    "CUTLASS example non-WS": ("dense_gemm.py", "HopperWgmmaGemmKernel", "plain"),
    "CUTLASS example fp8 scale + gelu": ("dense_gemm_fp8_gelu_persistent.py", "HopperFP8GeluPersistentGemmKernel",
                                        "scaled_gelu"),
}
PLAIN_EXAMPLES = ("CUTLASS example WS persistent", "CUTLASS example non-WS")
TILE_MN = (128, 256)
CLUSTER_MN = (2, 1)


def find_example(directory: Path, file_name: str) -> Path | None:
    matches = sorted(p for p in directory.rglob(file_name) if "hopper" in p.parts and "CuTeDSL" in p.parts)
    return matches[0] if matches else None


def load(path: Path):
    name = f"cutlass_example_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    sys.path.insert(0, str(path.parent))
    spec.loader.exec_module(module)
    return module


def example_calls(directory: str, sets, out, labels=PLAIN_EXAMPLES, scale: float = 1.0) -> dict:
    """{label: call(a, b)} for each example of `labels` found under `directory`; a is
    (M, K), b is (N, K), both row-major torch tensors from `sets`, written into `out`
    (the scale + gelu example multiplies by `scale`). Examples that are missing or fail to
    compile are reported and left out."""
    import cutlass
    import cutlass.cute as cute
    import cuda.bindings.driver as cuda
    import torch
    from cutlass.cute.runtime import from_dlpack

    def as_mkl(tensor):
        return from_dlpack(tensor.unsqueeze(-1), assumed_align=16).mark_layout_dynamic(leading_dim=1)

    calls = {}
    c = as_mkl(out)
    converted = {id(a): (as_mkl(a), as_mkl(b)) for a, b in sets}
    stream = cuda.CUstream(torch.cuda.current_stream().cuda_stream)
    for label in labels:
        file_name, class_name, kind = EXAMPLES[label]
        path = find_example(Path(directory), file_name)
        if path is None:
            print(f"{label}: no {file_name} under {directory}; left out")
            continue
        try:
            kernel_class = getattr(load(path), class_name)
            a0, b0 = converted[id(sets[0][0])]
            clusters = cutlass.utils.HardwareInfo().get_max_active_clusters(CLUSTER_MN[0] * CLUSTER_MN[1])
            if kind == "persistent":
                kernel = kernel_class(cutlass.Float32, TILE_MN, CLUSTER_MN, 1, True)
                compiled = cute.compile(kernel, a0, b0, c, clusters, stream)
                call = lambda a, b, f=compiled: f(*converted[id(a)], c, stream)  # noqa: E731
            elif kind == "scaled_gelu":
                kernel = kernel_class(cutlass.Float32, TILE_MN, CLUSTER_MN, 1, True)
                compiled = cute.compile(kernel, a0, b0, c, scale, scale != 1.0, clusters, stream)
                call = lambda a, b, f=compiled: f(*converted[id(a)], c, scale, stream)  # noqa: E731
            else:
                kernel = kernel_class(cutlass.Float32, TILE_MN, CLUSTER_MN)
                compiled = cute.compile(kernel, a0, b0, c, stream)
                call = lambda a, b, f=compiled: f(*converted[id(a)], c, stream)  # noqa: E731
        except Exception as error:  # external code: report and go on with the rest
            print(f"{label}: {type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}; left out")
            continue
        calls[label] = call
    return calls
