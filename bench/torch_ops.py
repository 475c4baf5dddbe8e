"""Host cost of pipeir's PyTorch integration (pipeir.ops), beside the eager dispatch.

    python3 bench/torch_ops.py [--shape 128x128x128] [--dtype f16] [--calls 10000]
                               [--rounds 9] [--out FILE]

Per call, on one small cached kernel (bench/dispatch.py's timing: batches of 100
back-to-back calls, GPU drained between batches, interleaved rounds on one core):
  - the bare TVM-FFI function fn(a, b, c)
  - pipeir.matmul(a, b, out=c) and pipeir.matmul(a, b): the eager hit path, which now
    first asks whether torch is tracing or the inputs need gradients
  - that question alone (the tracing hook's condition, timeit, min of 7 x 100,000)
  - torch.ops.pipeir.mm(a, b): the custom op called eagerly (what autograd uses)
  - torch.compile(fullgraph=True) of `pipeir.matmul(a, b)`: the compiled graph's call
  - a CUDA graph replaying one pipeir.matmul
The median round and the fastest are printed, and written to --out or $OUT/torch_ops.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import timeit
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from dispatch import gpu_us, per_call_us  # noqa: E402

from pipeir.tools.tune import problem_shape  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shape", type=problem_shape, default="128x128x128", help="MxNxK of the small GEMM")
    parser.add_argument("--dtype", default="f16", choices=("f16", "bf16"), help="element type of A and B")
    parser.add_argument("--calls", type=int, default=10000, help="calls per timing (a multiple of 100)")
    parser.add_argument("--rounds", type=int, default=9, help="interleaved rounds")
    parser.add_argument("--out", default=None, help="write the table (markdown) here")
    args = parser.parse_args()
    if args.calls < 100 or args.rounds < 1:
        parser.error("--calls must be at least 100 and --rounds at least 1")

    import torch

    if not torch.cuda.is_available():
        print("torch_ops: error: needs a CUDA GPU", file=sys.stderr)
        return 2
    os.environ.setdefault("PIPEIR_TUNE", "0")
    import pipeir
    from pipeir import api
    from pipeir.runtime.objects import TORCH_DTYPES

    core = max(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})
    m, n, k = args.shape
    dtype = TORCH_DTYPES[args.dtype]
    a = torch.randn(m, k, device="cuda").to(dtype)
    b = torch.randn(k, n, device="cuda").to(dtype)
    c = torch.empty(m, n, device="cuda", dtype=dtype)
    pipeir.matmul(a, b, out=c)
    (kernel,) = api.loaded_kernels()
    b_view = b.t().contiguous() if kernel.b_k_major else b

    compiled = torch.compile(lambda x, y: pipeir.matmul(x, y), fullgraph=True)
    compiled(a, b)
    static = torch.cuda.Stream()
    static.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(static):
        pipeir.matmul(a, b, out=c)
    torch.cuda.current_stream().wait_stream(static)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        pipeir.matmul(a, b, out=c)

    reference = a.float() @ b.float()
    for label, result in (("pipeir.matmul", pipeir.matmul(a, b)), ("torch.ops.pipeir.mm", torch.ops.pipeir.mm(a, b)),
                          ("compiled", compiled(a, b))):
        error = ((result.float() - reference).norm() / reference.norm()).item()
        if not error < 1e-2:
            print(f"torch_ops: error: {label} relative error {error:.2e}", file=sys.stderr)
            return 1

    calls = {
        "bare TVM-FFI fn(a, b, c)": lambda: kernel.function(a, b_view, c),
        "pipeir.matmul(a, b, out=c)": lambda: pipeir.matmul(a, b, out=c),
        "pipeir.matmul(a, b)": lambda: pipeir.matmul(a, b),
        "torch.ops.pipeir.mm(a, b) (eager custom op)": lambda: torch.ops.pipeir.mm(a, b),
        "torch.compile(fullgraph) of pipeir.matmul(a, b)": lambda: compiled(a, b),
        "CUDA graph replay of pipeir.matmul(a, b, out=c)": graph.replay,
    }
    samples: dict[str, list[float]] = {label: [] for label in calls}
    for _ in range(args.rounds):
        for label, call in calls.items():
            samples[label].append(per_call_us(call, args.calls))
    condition = "_is_compiling() or (getattr(a, 'requires_grad', False) or getattr(b, 'requires_grad', False)) " \
                "and torch.is_grad_enabled()"
    hook_ns = min(timeit.repeat(condition, globals=dict(vars(api), a=a, b=b), number=100000, repeat=7)) / 100000 * 1e9
    bare = statistics.median(samples["bare TVM-FFI fn(a, b, c)"])
    lines = [
        f"Measured {time.strftime('%Y-%m-%d')} on {torch.cuda.get_device_name()}, torch {torch.__version__}: "
        f"{args.dtype} {m}x{n}x{k}, {args.calls} calls per timing, {args.rounds} interleaved rounds on one core; "
        f"one kernel takes {gpu_us(calls['bare TVM-FFI fn(a, b, c)']):.1f} us on the GPU.",
        "",
        "| call | us per call, median round | vs bare TVM-FFI | us per call, fastest round |",
        "|---|---|---|---|",
    ]
    for label, values in samples.items():
        median = statistics.median(values)
        lines.append(f"| {label} | {median:.2f} | {median / bare:.3f}x | {min(values):.2f} |")
    lines += ["", f"The tracing hook's condition alone (eager, no gradients): {hook_ns:.0f} ns per call."]
    text = "\n".join(lines) + "\n"
    out = args.out or (os.path.join(os.environ["OUT"], "torch_ops.md") if os.environ.get("OUT") else None)
    if out:
        Path(out).write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
