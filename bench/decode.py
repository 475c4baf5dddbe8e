"""Decode-size GEMMs on the GPU: pipeir.matmul against cuBLAS, and the dynamic-M dispatch.

    python3 bench/decode.py [--quick] [--rounds N] [--dtypes bf16,f8e4m3] [--ms 1,8,16,32,64,128]
                            [--nks 4096x4096,8192x8192,14336x4096,4096x14336] [--out FILE]
                            [--skip-dispatch] [--timer do_bench|clean-l2] [--candidates decode|narrow|medium|medium-split|medium-split-deep|depth|split]

C[M, N] = A[M, K] @ W[N, K]^T with a few rows of A (the tokens) and a large weight W:
a race to stream W. For each dtype, (N, K) and M, in one process, interleaved in
shuffled rounds:
  * the cuBLAS baseline: torch.matmul (bf16), torch._scaled_mm with random rowwise scales
    (fp8: scale_a (M, 1), scale_b (1, N), bf16 output);
  * the user's call: `pipeir.matmul(a, w.t(), out=c)` (bf16), `pipeir.scaled_mm(a, w.t(),
    scale_a, scale_b)` with the same scales (fp8): the dynamic-M kernel of M's class
    (pipeir.tune.m_class) with the tuned bucket's schedule when `pipeir-tune --nk`
    recorded one, else pipeir.tune.heuristic_config's;
  * with --quick, also every candidate schedule of a QUICK_CANDIDATES set as a dynamic-M
    kernel of its own, so that one run shows which schedule wins at each shape (the
    table "best candidate per shape" is what to set heuristics from); --quick times
    with a shorter do_bench window and one round, to fit a 10-minute run.
Every kernel is checked against a float32 product first (NaN-poisoned output) and
dropped with its error if it is wrong. Times: triton.testing.do_bench medians (--timer
clean-l2: the same method with an L2 flush that leaves no dirty lines, bench/gemm.py's
clean_l2_ms); the weights rotate over copies totalling more than 128 MB (the H200's L2
is 60 MB), so each launch streams W from HBM. Beside each figure: TFLOP/s and the weight stream in TB/s
(N·K·bytes / time; a device copy moves 3.95 TB/s on the H200), the SM clock and power
nvidia-smi sampled while it ran (bench/gpu_clock.py).

Beside them, for each dtype and (N, K), two kernels that are not GEMMs timed the same way
(bound_rows): an empty launch (the timer's floor) and a plain read of W (torch's sum), about
the fastest any kernel that streams W once can be under this timer.

Then (unless --skip-dispatch), in a fresh process with an empty pipeir cache:
pipeir.matmul over 50 distinct M (1..64, shuffled) for one (N, K): the number of
kernels compiled, whether anything was tuned, and the wall time of the first call at
each new M after the first (acceptance: one compile, <= 10 ms).

The markdown for bench/DECODE.md is printed last (and written to --out, or to
$OUT/DECODE.md when $OUT is set).
"""

from __future__ import annotations

import argparse
import datetime
import functools
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
from dataclasses import replace
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gemm import clean_l2_ms, do_bench_ms, shuffled_rounds  # noqa: E402
from gpu_clock import ClockSampler, device_limits  # noqa: E402

import pipeir  # noqa: E402
from pipeir.passes import HEADLINE_PIPELINE  # noqa: E402
from pipeir.runtime.objects import TORCH_DTYPES  # noqa: E402
from pipeir.target.spec import GemmConfig  # noqa: E402
from pipeir.tune import compile_in_parallel, default_jobs, describe, heuristic_config, m_class  # noqa: E402

ROTATING_BYTES = 128 * 2**20
MAX_RELATIVE_ERROR = 2e-2
PIPEIR_CALLS = {"bf16": "pipeir.matmul", "f8e4m3": "pipeir.scaled_mm rowwise"}
"""The user's call timed for each dtype (fp8: the rowwise-scaled product, issue 15's fp8 goal)."""
QUICK_CANDIDATES = {
    "decode": (
        dict(swap_ab=True, pingpong=True, tile=(64, 64), k_row_bytes=256, row_slabs=True),
        dict(swap_ab=True, pingpong=True, tile=(64, 64), k_row_bytes=256, row_slabs=True, b_evict_first=True),
        dict(swap_ab=True, pingpong=True, tile=(64, 32), raster="n", k_row_bytes=256, row_slabs=True),
        dict(swap_ab=True, pingpong=True, tile=(64, 32), raster="n", k_row_bytes=256, row_slabs=True,
             b_evict_first=True),
        dict(swap_ab=True, pingpong=True, tile=(64, 64), k_row_bytes=256, cluster=(1, 2)),
        dict(swap_ab=True, pingpong=True, tile=(64, 64), k_row_bytes=256, cluster=(1, 2), b_evict_first=True),
        dict(swap_ab=False, tile=(128, 64)),
        dict(swap_ab=False, tile=(128, 64), b_evict_first=True),
        dict(swap_ab=False, tile=(128, 128)),
        dict(swap_ab=False, tile=(128, 128), b_evict_first=True),
    ),
    "medium": (
        dict(swap_ab=True, pingpong=True, tile=(64, 64), k_row_bytes=256, cluster=(1, 2), b_evict_first=True),
        dict(swap_ab=True, pingpong=True, tile=(64, 64), k_row_bytes=256, cluster=(1, 2), b_evict_first=True,
             row_slabs=True),
        dict(swap_ab=False, tile=(128, 128), cluster=(2, 1)),
        dict(swap_ab=False, tile=(128, 128), cluster=(2, 1), row_slabs=True),
        dict(swap_ab=False, tile=(128, 128), cluster=(2, 1), b_evict_first=True),
        dict(swap_ab=False, tile=(128, 128), cluster=(2, 1), row_slabs=True, b_evict_first=True),
    ),
    "narrow": (
        dict(swap_ab=False, tile=(128, 64), b_evict_first=True),
        dict(swap_ab=False, tile=(128, 64), cluster=(1, 2), b_evict_first=True),
        dict(swap_ab=False, tile=(128, 64), k_row_bytes=256, cluster=(1, 2), b_evict_first=True),
        dict(swap_ab=False, tile=(128, 128), b_evict_first=True),
        dict(swap_ab=False, tile=(128, 128), cluster=(1, 2), b_evict_first=True),
        dict(swap_ab=True, pingpong=True, tile=(64, 64), k_row_bytes=256, cluster=(1, 2), row_slabs=True,
             b_evict_first=True),
        dict(swap_ab=True, pingpong=True, tile=(64, 128), k_row_bytes=256, cluster=(2, 1), b_evict_first=True),
        dict(swap_ab=False, tile=(128, 64), cluster=(1, 2), row_slabs=True, b_evict_first=True),
        dict(swap_ab=False, tile=(128, 128), cluster=(1, 2), row_slabs=True, b_evict_first=True),
    ),
    "depth": (
        dict(swap_ab=True, pingpong=True, tile=(64, 64), k_row_bytes=256, row_slabs=True),
        dict(swap_ab=True, pingpong=True, tile=(64, 64), k_row_bytes=256, row_slabs=True, b_evict_first=True),
        *(dict(swap_ab=True, pingpong=True, tile=(64, 64), k_row_bytes=256, row_slabs=True, b_evict_first=True,
               stages=stages) for stages in (2, 3, 4)),
    ),
    "medium-split": (
        # M = 129..256 where the output tiles are few and K long (N = 4096, K = 14336: 64
        # tiles of 128x128 for 132 SMs): split K to fill the SMs, the weights read once
        dict(swap_ab=False, tile=(128, 128), cluster=(2, 1), row_slabs=True, b_evict_first=True),
        dict(swap_ab=False, tile=(128, 128), cluster=(2, 1), row_slabs=True, b_evict_first=True, split_k=2),
        dict(swap_ab=True, tile=(128, 256), row_slabs=True, b_evict_first=True, split_k=2),
        dict(swap_ab=True, tile=(128, 256), row_slabs=True, b_evict_first=True, split_k=4),
        dict(swap_ab=True, tile=(128, 128), row_slabs=True, b_evict_first=True, split_k=2),
        dict(swap_ab=True, tile=(128, 128), cluster=(1, 2), row_slabs=True, b_evict_first=True, split_k=2),
    ),
    "medium-split-deep": (
        # the medium class where the 128x128 tiles cover a quarter of the SMs or fewer (N =
        # 2048: 32 tiles at M = 256): do 4 or 8 slices fill them better than 2?
        dict(swap_ab=False, tile=(128, 128), cluster=(2, 1), row_slabs=True, b_evict_first=True),
        dict(swap_ab=True, tile=(128, 128), cluster=(1, 2), row_slabs=True, b_evict_first=True, split_k=2),
        dict(swap_ab=True, tile=(128, 128), cluster=(1, 2), row_slabs=True, b_evict_first=True, split_k=4),
        dict(swap_ab=True, tile=(128, 128), row_slabs=True, b_evict_first=True, split_k=4),
        dict(swap_ab=False, tile=(128, 128), cluster=(2, 1), row_slabs=True, b_evict_first=True, split_k=4),
        dict(swap_ab=True, tile=(128, 128), cluster=(1, 2), row_slabs=True, b_evict_first=True, split_k=8),
    ),
    "split": (
        dict(swap_ab=True, pingpong=True, tile=(64, 64), k_row_bytes=256, row_slabs=True, b_evict_first=True),
        dict(swap_ab=True, tile=(128, 32), raster="n", k_row_bytes=256, split_k=2, b_evict_first=True),
        dict(swap_ab=True, tile=(128, 32), raster="n", k_row_bytes=256, split_k=4, b_evict_first=True),
        dict(swap_ab=True, tile=(128, 16), raster="n", split_k=4, b_evict_first=True),
        dict(swap_ab=True, tile=(128, 32), raster="n", k_row_bytes=256, b_evict_first=True),
    ),
}
"""Schedules --quick times as dynamic-M kernels at every M, by --candidates set (tile: the
MMA's rows and columns; under swap_ab the columns are M; cluster (1, 2) multicasts the
weights' tile to the CTAs of two M tiles under swap_ab, (2, 1) without it, each loading
half; raster n puts the M tiles of one weight tile side by side; pingpong: one MMA
warpgroup per tile, so a 64-row weight tile; k_row_bytes: the bytes of each row a k-tile
loads, 128 unless given, so 64 bf16 or 128 fp8 elements; row_slabs: GemmConfig.row_slabs,
the token rows past M not loaded; b_evict_first: GemmConfig.b_evict_first, the weights
loaded with an L2 evict-first policy; stages: the ring's depth, the deepest that fits unless
given). decode: the heuristic's schedules of the decode
and narrow classes and their closest rivals in the runs that set them
(bench/runs/2026-11-30-decode-quick*.md), each with and without b_evict_first. medium
(for M = 65..256, --ms 80,129,192,256): the narrow and medium classes' clustered schedules
with and without row slabs (the second M tile of a cluster mostly or wholly past M) and
evict-first. narrow (--ms 96,128): the narrow class's 128-row token tiles, alone and in 1x2
clusters (each token tile multicast to the CTAs of two weight tiles, halving the L2's
traffic of the tokens), against the pair schedule and a swapped 64x128 tile whose 2x1
clusters multicast the tokens likewise, and the clustered 128-row token tiles by row slabs (a
token tile past M's end loaded by its rows inside M, where a whole-tile load fills the rest
with zeros). depth: the decode schedule with shallower rings
(stages: fewer weight bytes in flight, so fewer evict-first lines resident in the L2).
split: at N = 4096, where the 64-row weight tiles cover half the SMs, the decode schedule
against the cooperative 128-row tiles with K split 2 and 4 (two to four times the CTAs)."""
DISPATCH_CASE = textwrap.dedent(
    """
    import json, random, sys, time, torch
    import pipeir
    from pipeir import api
    from pipeir.runtime.cache import tuning_file
    n, k, dtype = int(sys.argv[1]), int(sys.argv[2]), getattr(torch, sys.argv[3])
    w = torch.randn(n, k, device="cuda").to(dtype)
    ms = list(range(1, 65)); random.Random(0).shuffle(ms); ms = ms[:50]
    walls, errors = [], []
    for m in ms:
        a = torch.randn(m, k, device="cuda").to(dtype)
        torch.cuda.synchronize()
        started = time.perf_counter()
        c = pipeir.matmul(a, w.t())
        torch.cuda.synchronize()
        walls.append(1e3 * (time.perf_counter() - started))
        reference = a.float() @ w.float().t()
        errors.append(((c.float() - reference).norm() / reference.norm()).item())
    kernels = api.loaded_kernels()
    print(json.dumps(dict(
        ms=ms, walls=walls, max_error=max(errors), kernels=len(kernels),
        origins=[kernel.origin for kernel in kernels], tuned=tuning_file().exists())))
    """
)


TIMERS = {"do_bench": do_bench_ms, "clean-l2": clean_l2_ms}
"""--timer (bench/gemm.py): clean-l2 is do_bench's method with an L2 flush that leaves no
dirty lines, which shows what a kernel's L2 policy does with them
(GemmConfig.b_evict_first). --quick times with a shorter window (QUICK_WINDOW), so that a
dozen kernels at 48 shapes fit one run."""
QUICK_WINDOW = dict(warmup=25, rep=100)
"""--quick's timing window: 25 ms warm-up, 100 ms of launches."""


def weight_sets(n: int, k: int, dtype: str) -> list[torch.Tensor]:
    element = torch.tensor([], dtype=TORCH_DTYPES[dtype]).element_size()
    count = max(2, -(-ROTATING_BYTES // (n * k * element)))
    return [torch.randn(n, k, device="cuda").clamp(-4, 4).to(TORCH_DTYPES[dtype]) for _ in range(count)]


def rowwise_scales(dtype: str, m: int, n: int) -> tuple[torch.Tensor, torch.Tensor] | None:
    """fp8's random rowwise scales, scale_a (M, 1) and scale_b (1, N); None for bf16."""
    if not dtype.startswith("f8"):
        return None
    return torch.rand(m, 1, device="cuda") + 0.5, torch.rand(1, n, device="cuda") + 0.5


def baseline(scales):
    if scales is not None:
        scale_a, scale_b = scales
        return "torch._scaled_mm rowwise", lambda a, w: torch._scaled_mm(
            a, w.t(), scale_a, scale_b, out_dtype=torch.bfloat16)
    return "torch.matmul", lambda a, w: torch.matmul(a, w.t())


def pipeir_call(scales, out):
    """The user's pipeir call of this dtype; it returns the product."""
    if scales is not None:
        scale_a, scale_b = scales
        return lambda a, w: pipeir.scaled_mm(a, w.t(), scale_a, scale_b)
    return lambda a, w: pipeir.matmul(a, w.t(), out=out)


def candidate_config(dtype: str, n: int, k: int, fields: dict) -> GemmConfig:
    tile_k = fields.get("k_row_bytes", 128) // (1 if dtype.startswith("f8") else 2)
    config = GemmConfig(m=None, n=n, k=k, dtype=dtype, tile=(*fields["tile"], tile_k),
                        cluster=fields.get("cluster", (1, 1)), swap_ab=fields["swap_ab"],
                        raster=fields.get("raster"), split_k=fields.get("split_k"),
                        pingpong=fields.get("pingpong", False), row_slabs=fields.get("row_slabs", False),
                        b_evict_first=fields.get("b_evict_first", False),
                        scale="rowwise" if dtype.startswith("f8") else None)
    return replace(config, stages=fields.get("stages") or config.max_stages)


def label_of(config: GemmConfig) -> str:
    return "candidate: " + describe(config)


def bench_shape(dtype: str, n: int, k: int, ms: list[int], candidates: dict, rounds: int,
                sampler: ClockSampler, rows: list[dict], timer) -> None:
    weights = weight_sets(n, k, dtype)
    element = weights[0].element_size()
    for m in ms:
        problem = f"{dtype} {m}x{n}x{k}"
        a = torch.randn(m, k, device="cuda").clamp(-4, 4).to(TORCH_DTYPES[dtype])
        sets = [(a, w) for w in weights]
        out = torch.empty(m, n, device="cuda", dtype=torch.bfloat16)
        scales = rowwise_scales(dtype, m, n)
        name, call = baseline(scales)
        steps = {name: call, PIPEIR_CALLS[dtype]: pipeir_call(scales, out)}
        operands = [scale.reshape(-1) for scale in scales] if scales is not None else []
        for label, kernel in candidates.items():
            steps[label] = lambda a, w, kernel=kernel: kernel.function(a, w, out, *operands) or out
        reference = a.float() @ weights[0].float().t()
        if scales is not None:
            reference = reference * scales[0] * scales[1]
        try:
            call(a, weights[0])
        except Exception as failure:  # cuBLAS refusing a shape: nothing to compare against
            print(f"{problem} {name}: FAILED ({type(failure).__name__}: {str(failure).splitlines()[0]})", flush=True)
            continue
        for label in [label for label in steps if label != name]:
            out.fill_(float("nan"))
            try:
                product = steps[label](a, weights[0])
                error = ((product.float() - reference).norm() / reference.norm()).item()
            except Exception as failure:  # a launch the kernel refuses: report it, time the rest
                error, message = math.nan, f"{type(failure).__name__}: {str(failure).splitlines()[0]}"
            else:
                message = f"relative error {error:.2e}"
            if not error <= MAX_RELATIVE_ERROR:
                print(f"{problem} {label}: WRONG, dropped ({message})", flush=True)
                rows.append(dict(problem=problem, kernel=label, ms=None, error=message))
                del steps[label]
        times = shuffled_rounds(problem, steps, sets, rounds, sampler, timer)
        base = statistics.median(times[name])
        for label, samples in times.items():
            ms_median = statistics.median(samples)
            rows.append(dict(
                problem=problem, dtype=dtype, m=m, n=n, k=k, kernel=label, ms=ms_median,
                tflops=2 * m * n * k / ms_median / 1e9, tbps=n * k * element / ms_median / 1e9,
                vs_baseline=base / ms_median, baseline=label == name,
                spread=(max(samples) - min(samples)) / ms_median, clock_label=f"{problem} {label}"))
            print(f"{problem} {label}: {rows[-1]['tflops']:.1f} TFLOP/s {rows[-1]['tbps']:.2f} TB/s "
                  f"{rows[-1]['vs_baseline']:.3f}x", flush=True)


def bound_rows(dtype: str, n: int, k: int, rounds: int, sampler: ClockSampler, timer) -> list[dict]:
    """What this timer reports for two kernels that are not GEMMs, beside the GEMMs: an
    empty launch (torch zeroing one element: the timer's floor for any kernel) and a
    reduction that reads the weights once (torch's sum over their bytes viewed as bf16, a
    streaming read with no reuse; an int32 sum was compute-bound at 0.6 TB/s), and a copy
    of them. No GEMM that streams W can beat the read by much."""
    weights = weight_sets(n, k, dtype)
    nbytes = weights[0].numel() * weights[0].element_size()
    tiny = torch.empty(1, device="cuda")
    copy = torch.empty_like(weights[0])
    steps = {"empty launch (torch zero_ of 1 element)": lambda a, w: tiny.zero_(),
             "read W once (torch sum over W's bytes as bf16, f32 accumulation)":
                 lambda a, w: w.view(torch.bfloat16).sum(dtype=torch.float32),
             "copy W (reads and writes W's bytes: TB/s of the read)": lambda a, w: copy.copy_(w)}
    problem = f"{dtype} {n}x{k} weights"
    times = shuffled_rounds(problem, steps, [(None, w) for w in weights], rounds, sampler, timer)
    return [dict(problem=problem, kernel=label, ms=statistics.median(samples),
                 tbps=nbytes / statistics.median(samples) / 1e9, clock_label=f"{problem} {label}")
            for label, samples in times.items()]


def bounds_table(rows: list[dict]) -> str:
    lines = ["| weights | kernel | ms | weights TB/s | SM clock (MHz) | power (W) |", "|---|---|---|---|---|---|"]
    for r in rows:
        clock = r.get("clock")
        lines.append(f"| {r['problem']} | {r['kernel']} | {r['ms']:.4f} | {r['tbps']:.2f} | "
                     + (f"{clock['mhz']:.0f} | {clock['watts']:.0f} |" if clock else "n/a | n/a |"))
    return "\n".join(lines)


def dispatch_run(n: int, k: int, dtype: str) -> dict:
    with tempfile.TemporaryDirectory(prefix="pipeir-decode-") as cache:
        environment = dict(os.environ, PIPEIR_CACHE_DIR=cache)
        environment.pop("PIPEIR_TUNE", None)
        result = subprocess.run([sys.executable, "-c", DISPATCH_CASE, str(n), str(k), dtype],
                                capture_output=True, text=True, env=environment, timeout=900, check=False)
    if result.returncode:
        return dict(failed=result.stderr.strip().splitlines()[-1:] or [f"status {result.returncode}"])
    return json.loads(result.stdout.strip().splitlines()[-1])


def geomean(values: list[float]) -> float:
    return math.exp(statistics.fmean(math.log(v) for v in values)) if values else math.nan


def table(rows: list[dict]) -> str:
    lines = [
        "| problem | kernel | ms | TFLOP/s | weights TB/s | vs cuBLAS | spread | SM clock (MHz) | power (W) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        if r["ms"] is None:
            lines.append(f"| {r['problem']} | {r['kernel']} | wrong: {r['error']} | | | | | | |")
            continue
        clock = r.get("clock")
        lines.append(
            f"| {r['problem']} | {r['kernel']} | {r['ms']:.4f} | {r['tflops']:.1f} | {r['tbps']:.2f} | "
            f"{r['vs_baseline']:.3f}x | {100 * r['spread']:.1f}% | "
            + (f"{clock['mhz']:.0f} | {clock['watts']:.0f} |" if clock else "n/a | n/a |"))
    return "\n".join(lines)


def summary(rows: list[dict]) -> str:
    lines = ["| dtype | geomean vs cuBLAS | lowest (shape) | 16x8192x8192 | acceptance |", "|---|---|---|---|---|"]
    goals = {"bf16": (1.20, 0.95), "f8e4m3": (1.50, 1.0)}
    for dtype in sorted({r["dtype"] for r in rows if r.get("ms") is not None}):
        ours = [r for r in rows if r.get("dtype") == dtype and r["kernel"] == PIPEIR_CALLS[dtype] and r["ms"] is not None]
        if not ours:
            continue
        ratios = [r["vs_baseline"] for r in ours]
        low = min(ours, key=lambda r: r["vs_baseline"])
        headline = next((r for r in ours if (r["m"], r["n"], r["k"]) == (16, 8192, 8192)), None)
        goal, floor = goals.get(dtype, (math.nan, math.nan))
        met = geomean(ratios) >= goal and low["vs_baseline"] >= floor and (
            dtype != "bf16" or headline is None or headline["vs_baseline"] >= 1.15)
        lines.append(
            f"| {dtype} | {geomean(ratios):.3f}x | {low['vs_baseline']:.3f}x ({low['problem']}) | "
            + (f"{headline['vs_baseline']:.3f}x" if headline else "-")
            + f" | {'met' if met else 'NOT met'} (goal >= {goal}x geomean, none < {floor}x) |")
    return "\n".join(lines)


def best_candidates(rows: list[dict]) -> str:
    lines = ["| problem | M class | fastest kernel | its TB/s | vs cuBLAS | pipeir's call vs cuBLAS |",
             "|---|---|---|---|---|---|"]
    for problem in dict.fromkeys(r["problem"] for r in rows):
        timed = [r for r in rows if r["problem"] == problem and r["ms"] is not None and not r["baseline"]]
        if not timed:
            continue
        best = min(timed, key=lambda r: r["ms"])
        ours = next((r for r in timed if r["kernel"] == PIPEIR_CALLS[r["dtype"]]), None)
        lines.append(f"| {problem} | {m_class(best['m'])} | {best['kernel']} | {best['tbps']:.2f} | "
                     f"{best['vs_baseline']:.3f}x | " + (f"{ours['vs_baseline']:.3f}x |" if ours else "- |"))
    return "\n".join(lines)


def dispatch_text(result: dict, n: int, k: int, dtype: str) -> str:
    if "failed" in result:
        return f"Dispatch over 50 M ({dtype}, N={n}, K={k}): FAILED: {result['failed']}\n"
    later = result["walls"][1:]
    return (
        f"Dispatch over 50 distinct M in 1..64 ({dtype}, N={n}, K={k}, fresh cache, one process): "
        f"{result['kernels']} kernel(s) built ({', '.join(result['origins'])}), tuning run: "
        f"{'yes' if result['tuned'] else 'no'}; first call {result['walls'][0]:.0f} ms (the compile); "
        f"first call at each later new M: median {statistics.median(later):.2f} ms, max {max(later):.2f} ms "
        f"(goal <= 10 ms: {'met' if max(later) <= 10 and result['kernels'] == 1 else 'NOT met'}); "
        f"largest relative error {result['max_error']:.1e}.\n"
    )


def int_list(text: str) -> list[int]:
    return [int(v) for v in text.split(",")]


def nk_list(text: str) -> list[tuple[int, int]]:
    return [tuple(int(v) for v in pair.lower().split("x")) for pair in text.split(",")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="also time QUICK_CANDIDATES' schedules at every shape")
    parser.add_argument("--candidates", choices=sorted(QUICK_CANDIDATES), default="decode",
                        help="which set of QUICK_CANDIDATES --quick times (default decode)")
    parser.add_argument("--rounds", type=int, default=None,
                        help="interleaved timing rounds (default 3; 1 with --quick)")
    parser.add_argument("--dtypes", default="bf16,f8e4m3", help="comma-separated (default bf16,f8e4m3)")
    parser.add_argument("--ms", type=int_list, default=[1, 8, 16, 32, 64, 128])
    parser.add_argument("--nks", type=nk_list, default=[(4096, 4096), (8192, 8192), (14336, 4096), (4096, 14336)])
    parser.add_argument("--skip-dispatch", action="store_true", help="skip the 50-M dispatch measurement")
    parser.add_argument("--out", type=Path, default=None, help="write the markdown here")
    parser.add_argument("--timer", choices=sorted(TIMERS), default="do_bench",
                        help="do_bench (default: triton's, the L2 cleared by zeroing 256 MB) or clean-l2 "
                             "(the same, the L2 cleared by reading them: no dirty lines left)")
    args = parser.parse_args()
    if not torch.cuda.is_available():
        parser.error("needs a CUDA GPU (sm_90a)")
    out = args.out or (Path(os.environ["OUT"]) / "DECODE.md" if os.environ.get("OUT") else None)
    dtypes = args.dtypes.split(",")
    rounds = args.rounds or (1 if args.quick else 3)
    command = "python3 bench/decode.py " + " ".join(sys.argv[1:])
    candidates_of = {}
    if args.quick:
        for dtype in dtypes:
            for n, k in args.nks:
                candidates_of[dtype, n, k] = [candidate_config(dtype, n, k, fields)
                                             for fields in QUICK_CANDIDATES[args.candidates]]
    defaults = [heuristic_config(GemmConfig(m=None, n=n, k=k, dtype=dtype), m_class(m))
                for dtype in dtypes for n, k in args.nks for m in args.ms]
    every = list(dict.fromkeys([c for found in candidates_of.values() for c in found] + defaults))
    print(f"compiling {len(every)} kernels on {default_jobs()} processes", flush=True)
    errors = compile_in_parallel([(config, HEADLINE_PIPELINE) for config in every], default_jobs())
    failed = {config: error for config, error in zip(every, errors) if error}
    for config, error in failed.items():
        print(f"compile failed: {describe(config)}: {error}", flush=True)
    rows: list[dict] = []
    bounds: list[dict] = []
    with ClockSampler() as sampler:
        for dtype in dtypes:
            for n, k in args.nks:
                kernels = {label_of(c): pipeir.compile(c, tune=False)
                           for c in candidates_of.get((dtype, n, k), []) if c not in failed}
                timer = functools.partial(TIMERS[args.timer], **(QUICK_WINDOW if args.quick else {}))
                bounds += bound_rows(dtype, n, k, rounds, sampler, timer)
                bench_shape(dtype, n, k, args.ms, kernels, rounds, sampler, rows, timer)
    for row in rows + bounds:
        if row["ms"] is not None:
            row["clock"] = sampler.summary(row["clock_label"])
    dispatch = "" if args.skip_dispatch else dispatch_text(dispatch_run(4096, 4096, "bfloat16"), 4096, 4096, "bf16")
    limits = device_limits()
    text = (
        f"Command: `{command}`\n\n"
        f"Measured {datetime.date.today()} on {torch.cuda.get_device_name()} in one process "
        f"(torch {torch.__version__}); nvidia-smi: {', '.join(f'{f} {v}' for f, v in limits.items())}. "
        f"{'do_bench' if args.timer == 'do_bench' else 'clean-l2 (do_bench, the L2 flushed by a read)'} medians "
        f"({'25 ms warm-up, 100 ms' if args.quick else '100 ms warm-up, 500 ms'}) over {rounds} "
        f"shuffled round(s); weights rotating over > 128 MB; "
        f"weights TB/s = N·K·bytes / time.\n\n"
        + summary(rows) + "\n\n" + (dispatch + "\n" if dispatch else "")
        + (best_candidates(rows) + "\n\n" if args.quick else "")
        + table(rows) + "\n\n"
        + "What the same timer reports for an empty launch and for a plain read of the weights "
        + "(bound_rows): the floor under any kernel, and about the fastest a kernel that streams "
        + "W once can be.\n\n" + bounds_table(bounds) + "\n"
    )
    print(text)
    if out:
        out.write_text(text)


if __name__ == "__main__":
    main()
