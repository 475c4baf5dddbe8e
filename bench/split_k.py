"""Split-K against the unsplit decode kernel, on the GPU (issue 15).

    python3 bench/split_k.py [--m 16] [--nks 4096x4096,4096x14336,8192x8192] [--splits 2,4,8] [--dtype bf16]

For each (N, K), in one process: torch.matmul and pipeir's decode schedule
(pipeir.tune.heuristic_config's, dynamic M) unsplit and with each split_k, on weights
rotating over more than 300 MB (each launch streams W from HBM), each first checked
against a float32 product. Two times per kernel: the device time per call the profiler
(CUPTI) records over 60 launches (the kernels alone; torch's split-K GEMM and its
reduction kernel both count), and the triton.testing.do_bench median (what
bench/decode.py reports). The figures quoted in pipeir.tune.heuristic_config and
bench/RESULTS.md come from this measurement.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

import torch
from torch.profiler import ProfilerActivity, profile

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gemm import do_bench_ms  # noqa: E402

import pipeir  # noqa: E402
from pipeir.runtime.objects import TORCH_DTYPES  # noqa: E402
from pipeir.target.spec import GemmConfig  # noqa: E402
from pipeir.tune import heuristic_config  # noqa: E402

ROTATING_BYTES = 300 * 2**20


def kernel_us(call, sets, launches: int = 60) -> float:
    """Device time per call: the durations of every kernel `launches` calls ran (profiler),
    summed, over `launches` (torch's split-K GEMM and its reduction kernel both count)."""
    for a, w in sets[:5]:
        call(a, w)
    torch.cuda.synchronize()
    with profile(activities=[ProfilerActivity.CUDA]) as trace:
        for index in range(launches):
            call(*sets[index % len(sets)])
        torch.cuda.synchronize()
    return sum(event.device_time for event in trace.events() if event.device_type.name == "CUDA") / launches


def int_list(text: str) -> list[int]:
    return [int(part) for part in text.split(",")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--m", type=int, default=16, help="rows of A (tokens)")
    parser.add_argument("--nks", default="4096x4096,4096x14336,8192x8192", help="comma-separated NxK")
    parser.add_argument("--splits", type=int_list, default=[2, 4, 8], help="split_k values beside no split")
    parser.add_argument("--dtype", default="bf16", choices=("bf16", "f16"))
    args = parser.parse_args()
    dtype = TORCH_DTYPES[args.dtype]
    lines = ["| M x N x K | kernel | kernel us (profiler) | do_bench us | relative error |", "|---|---|---|---|---|"]
    for nk in args.nks.split(","):
        n, k = (int(part) for part in nk.split("x"))
        m = args.m
        weights = [torch.randn(n, k, device="cuda").to(dtype)
                   for _ in range(max(2, -(-ROTATING_BYTES // (n * k * 2))))]
        a = torch.randn(m, k, device="cuda").to(dtype)
        out = torch.empty(m, n, device="cuda", dtype=dtype)
        sets = [(a, w) for w in weights]
        base = heuristic_config(GemmConfig(m=None, n=n, k=k, dtype=args.dtype), "decode")
        calls = {"torch.matmul": lambda a, w: torch.matmul(a, w.t(), out=out)}
        for split in (None, *args.splits):
            kernel = pipeir.compile(replace(base, split_k=split), tune=False)
            calls[f"pipeir split_k {split or 1}"] = lambda a, w, kernel=kernel: kernel(a, w, out=out)
        reference = a.float() @ weights[0].float().t()
        for label, call in calls.items():
            out.fill_(float("nan"))
            call(a, weights[0])
            error = ((out.float() - reference).norm() / reference.norm()).item()
            line = (f"| {m}x{n}x{k} | {label} | {kernel_us(call, sets):.1f} | "
                    f"{1e3 * do_bench_ms(call, sets, warmup=50, rep=200):.1f} | {error:.1e} |")
            print(line, flush=True)
            lines.append(line)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
