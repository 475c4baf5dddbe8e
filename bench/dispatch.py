"""Host cost of launching a cached pipeir kernel, beside the bare TVM-FFI call and
torch.matmul, and the time a new process needs to reach its first launch.

    python3 bench/dispatch.py [--shape 128x128x128] [--dtype f16] [--calls 10000]
                              [--out bench/DISPATCH.md]

Per-call cost: wall-clock host time of --calls calls after warm-up, divided by the
number of calls, timed in batches of 100 back-to-back calls with the GPU drained
between batches (untimed), so the figure is the host's cost even when one kernel
takes longer on the GPU than its launch takes on the host. Entry points:
  - torch.matmul(a, b, out=c)                   (cuBLAS)
  - the bare TVM-FFI function of the same compiled kernel, fn(a, b^T, c)
  - GemmKernel(a, b^T, out=c)                   (pipeir.compile's callable)
  - pipeir.matmul(a, b, out=c)                  (the dispatching entry point)
  - pipeir.matmul(a, b)                         (allocating the output, like torch.matmul(a, b))
in interleaved rounds. Reported: the median round and the fastest round; a host-side
microbenchmark's fastest round is its cost with the least interference from the rest of
the machine (timeit's reasoning), the median what a busy host gives. The GPU time of
one kernel is printed too.

First launch: fresh Python processes, two per new, empty pipeir cache, each timing
`import torch, pipeir` + `pipeir.matmul` + synchronize and reporting whether its
kernel was compiled in the process or loaded from the object cache. One pair runs
with PIPEIR_TUNE=0 (the first process compiles, the second loads); the other pair
autotunes (the first process tunes, its compiler processes filling the object
cache; the second finds the choice and the object on disk).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BATCH = 100
sys.path.insert(0, str(ROOT))

from pipeir.tools.tune import problem_shape  # noqa: E402

FIRST_LAUNCH = """
import json, sys, time
started = time.perf_counter()
import torch
import pipeir
from pipeir.runtime.objects import TORCH_DTYPES
imported = time.perf_counter()
m, n, k, dtype = {m}, {n}, {k}, {dtype!r}
a = torch.randn(m, k, device="cuda").to(TORCH_DTYPES[dtype])
b = torch.randn(k, n, device="cuda").to(TORCH_DTYPES[dtype])
ready = time.perf_counter()
c = pipeir.matmul(a, b)
torch.cuda.synchronize()
done = time.perf_counter()
error = ((c.float() - a.float() @ b.float()).norm() / (a.float() @ b.float()).norm()).item()
from pipeir.api import loaded_kernels
print(json.dumps(dict(imports=imported - started, first_call=done - ready, total=done - started,
                      origin=[kernel.origin for kernel in loaded_kernels()], error=error)))
"""


def per_call_us(call, calls: int) -> float:
    """Host time per call. Calls are timed in batches of BATCH with the GPU drained
    (untimed) between batches, so the launch queue never fills and a kernel slower
    than its launch cannot hold the host back."""
    import torch

    for _ in range(100):
        call()
    torch.cuda.synchronize()
    elapsed = 0.0
    for _ in range(calls // BATCH):
        started = time.perf_counter()
        for _ in range(BATCH):
            call()
        elapsed += time.perf_counter() - started
        torch.cuda.synchronize()
    return elapsed / (calls // BATCH * BATCH) * 1e6


def gpu_us(call) -> float:
    import torch

    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    call()
    start.record()
    for _ in range(200):
        call()
    end.record()
    end.synchronize()
    return start.elapsed_time(end) / 200 * 1e3


def first_launch(m: int, n: int, k: int, dtype: str, cache: str, tune: bool) -> dict:
    environment = dict(os.environ, PIPEIR_CACHE_DIR=cache, PIPEIR_TUNE="1" if tune else "0")
    result = subprocess.run(
        [sys.executable, "-c", FIRST_LAUNCH.format(m=m, n=n, k=k, dtype=dtype)],
        env=environment, cwd=ROOT, capture_output=True, text=True, check=False,
    )
    if result.returncode:
        raise SystemExit(f"first-launch process failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shape", type=problem_shape, default="128x128x128", help="MxNxK of the small GEMM")
    parser.add_argument("--dtype", default="f16", choices=("f16", "bf16"), help="element type of A and B")
    parser.add_argument("--calls", type=int, default=10000, help="calls per timing (at least 10,000)")
    parser.add_argument("--rounds", type=int, default=15, help="interleaved rounds (at least 1)")
    parser.add_argument("--out", default=None, help="write the results (markdown) here")
    args = parser.parse_args()
    if args.calls < 10000:
        parser.error("--calls must be at least 10000")
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    m, n, k = args.shape

    launches = {}
    for tune in (False, True):
        with tempfile.TemporaryDirectory(prefix="pipeir-cache-") as cache:
            for process in ("first (empty cache)", "second"):
                launches[("autotuned" if tune else "PIPEIR_TUNE=0", process)] = first_launch(
                    m, n, k, args.dtype, cache, tune)

    import torch

    import pipeir
    from pipeir.runtime.objects import TORCH_DTYPES
    from pipeir.api import loaded_kernels

    # One core for the per-call timings: a thread that migrates between cores mid-batch
    # is timed on two caches.
    core = max(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})

    dtype = TORCH_DTYPES[args.dtype]
    a = torch.randn(m, k, device="cuda").to(dtype)
    b = torch.randn(k, n, device="cuda").to(dtype)
    c = torch.empty(m, n, device="cuda", dtype=dtype)
    pipeir.matmul(a, b, out=c)
    (kernel,) = loaded_kernels()
    b_nk = b.t().contiguous()
    b_view = b if not kernel.b_k_major else b_nk
    calls = {
        "torch.matmul(a, b, out=c)": lambda: torch.matmul(a, b, out=c),
        "bare TVM-FFI fn(a, b, c)": lambda: kernel.function(a, b_view, c),
        "GemmKernel(a, b, out=c)": lambda: kernel(a, b_view, out=c),
        "pipeir.matmul(a, b, out=c)": lambda: pipeir.matmul(a, b, out=c),
        "pipeir.matmul(a, b)": lambda: pipeir.matmul(a, b),
        "torch.matmul(a, b)": lambda: torch.matmul(a, b),
    }
    reference = a.float() @ b.float()
    c.fill_(float("nan"))
    pipeir.matmul(a, b, out=c)
    error = ((c.float() - reference).norm() / reference.norm()).item()
    assert error < 1e-2, f"pipeir.matmul relative error {error}"
    samples: dict[str, list[float]] = {label: [] for label in calls}
    for _ in range(args.rounds):
        for label, call in calls.items():
            samples[label].append(per_call_us(call, args.calls))
    kernel_us = gpu_us(calls["bare TVM-FFI fn(a, b, c)"])
    bare = statistics.median(samples["bare TVM-FFI fn(a, b, c)"])
    bare_fastest = min(samples["bare TVM-FFI fn(a, b, c)"])

    lines = [
        f"Measured {time.strftime('%Y-%m-%d')} on {torch.cuda.get_device_name()}: {args.dtype} "
        f"{m}x{n}x{k}, {args.calls} calls per timing, {args.rounds} interleaved rounds on one core; "
        f"one kernel takes {kernel_us:.1f} us on the GPU; kernel: {kernel.origin}, "
        f"B {'K-major' if kernel.b_k_major else 'row-major (K, N)'}.",
        "",
        "| call | us per call, median round | vs bare TVM-FFI | us per call, fastest round | vs bare TVM-FFI "
        "| spread |",
        "|---|---|---|---|---|---|",
    ]
    for label, values in samples.items():
        us, fastest = statistics.median(values), min(values)
        lines.append(
            f"| {label} | {us:.2f} | {us / bare:.3f}x | {fastest:.2f} | {fastest / bare_fastest:.3f}x | "
            f"{100 * (max(values) - fastest) / us:.0f}% |"
        )
    lines += [
        "",
        "First launch in a new process (each pair shares a fresh cache):",
        "",
        "| tuning | process | kernel | import torch + pipeir (s) | first pipeir.matmul (s) | total (s) |",
        "|---|---|---|---|---|---|",
    ]
    for (tuning, process), run in launches.items():
        lines.append(
            f"| {tuning} | {process} | {', '.join(run['origin'])} | {run['imports']:.2f} | "
            f"{run['first_call']:.2f} | {run['total']:.2f} |"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        Path(args.out).write_text(text)


if __name__ == "__main__":
    main()
