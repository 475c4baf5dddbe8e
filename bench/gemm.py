"""Side-by-side GEMM timings on the GPU: cuBLAS (torch.matmul / torch._scaled_mm)
against pipeir's naive form, the form after each pass, and the full pipeline.

    python3 bench/gemm.py [--dtypes f16,bf16,f8e4m3] [--shapes 4096x4096x4096,...]
                          [--cutlass-examples CUTLASS_DIR] [--out bench/RESULTS.md]

Every pipeir form uses the autotuned configuration of its problem (pipeir.tune:
cached in pipeir's cache, or tuned at the start of the run), so the forms differ
only by the passes. With --cutlass-examples, CUTLASS's own CuTe DSL Hopper GEMM
examples found in that checkout are timed beside them (bench/cutlass_examples.py).

Times with triton.testing.do_bench (median of CUDA-event timings, after
warm-up), rotating through input sets larger than L2 so no run reads a warm
cache. Every pipeir kernel is checked against the reference before it is timed.
Prints a table (TFLOP/s, ratio to the cuBLAS baseline) and writes it, with the
date, GPU and versions, to --out.
"""

from __future__ import annotations

import argparse
import datetime
import statistics
import sys
from importlib.metadata import version
from pathlib import Path

import torch
import triton.testing

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pipeir  # noqa: E402
from cutlass_examples import example_calls  # noqa: E402
from pipeir.build import GemmConfig  # noqa: E402
from pipeir.kernel import TORCH_DTYPES  # noqa: E402
from pipeir.tune import (  # noqa: E402
    compile_in_parallel,
    default_jobs,
    describe,
    reference_product,
    relative_error,
    tuned_config,
)

FORMS = {
    "naive": (),
    "+fold-static-full": ("fold-static-full",),
    "+roll-producer": ("fold-static-full", "roll-producer"),
    "full pipeline": ("fold-static-full", "roll-producer", "hoist-rank"),
}
L2_BYTES = 50 * 2**20


def input_sets(m: int, n: int, k: int, dtype: str) -> list[tuple[torch.Tensor, torch.Tensor]]:
    element = torch.tensor([], dtype=TORCH_DTYPES[dtype]).element_size()
    count = max(2, -(-4 * L2_BYTES // ((m + n) * k * element)))
    sets = []
    for _ in range(count):
        a = torch.randn(m, k, device="cuda").clamp(-4, 4).to(TORCH_DTYPES[dtype])
        b = torch.randn(n, k, device="cuda").clamp(-4, 4).to(TORCH_DTYPES[dtype])
        sets.append((a, b))
    return sets


def rotating(call, sets):
    position = [0]

    def step():
        a, b = sets[position[0] % len(sets)]
        position[0] += 1
        call(a, b)

    return step


def milliseconds(step) -> float:
    return triton.testing.do_bench(step, warmup=100, rep=500, return_mode="median")


def baseline(dtype: str, out_dtype: torch.dtype):
    if dtype.startswith("f8"):
        one = torch.ones((), device="cuda")
        return "torch._scaled_mm", lambda a, b: torch._scaled_mm(a, b.t(), one, one, out_dtype=out_dtype)
    return "torch.matmul", lambda a, b: torch.matmul(a, b.t())


def bench(config: GemmConfig, rows: list[dict], rounds: int, examples: str | None) -> None:
    """Time the baseline and every form in `rounds` interleaved rounds (the GPU's
    clock drifts within a run; interleaving exposes every kernel to the same
    drift) and report each kernel's median over the rounds."""
    dtype, shape = config.dtype, (config.m, config.n, config.k)
    m, n, k = shape
    flops = 2 * m * n * k
    sets = input_sets(m, n, k, dtype)
    out_dtype = TORCH_DTYPES[config.c_dtype]
    name, call = baseline(dtype, out_dtype)
    out = torch.empty(m, n, device="cuda", dtype=out_dtype)
    candidates = {}
    for form, passes in FORMS.items():
        kernel = pipeir.compile(config, passes=passes, tune=False)
        candidates[f"pipeir {form}"] = lambda a, b, kernel=kernel: kernel(a, b, out=out)
    if examples:
        candidates.update(example_calls(examples, sets, out))
    steps = {name: rotating(call, sets)}
    checked = (*sets[0], out)
    reference = reference_product(checked, "k")
    for label, candidate in candidates.items():
        error = relative_error(lambda a, b, _, candidate=candidate: candidate(a, b), checked, reference)
        if not error < 5e-2:
            print(f"{label} {dtype} {shape}: relative error {error}; not timed")
            continue
        steps[label] = rotating(candidate, sets)
    times: dict[str, list[float]] = {label: [] for label in steps}
    for _ in range(rounds):
        for label, step in steps.items():
            times[label].append(milliseconds(step))
    base_ms = statistics.median(times[name])
    for label, samples in times.items():
        ms = statistics.median(samples)
        rows.append(dict(dtype=dtype, shape=shape, kernel=label, ms=ms,
                         config=describe(config) if label.startswith("pipeir") else "", spread=(max(samples) - min(samples)) / ms,
                         tflops=flops / ms / 1e9, ratio=base_ms / ms))
        print(f"{dtype} {m}x{n}x{k} {label}: {flops / ms / 1e9:.0f} TFLOP/s ({base_ms / ms:.2f}x {name})", flush=True)


def table(rows: list[dict]) -> str:
    lines = [
        "| dtype | M x N x K | kernel | ms | TFLOP/s | vs cuBLAS | spread over rounds | configuration |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['dtype']} | {'x'.join(map(str, r['shape']))} | {r['kernel']} | {r['ms']:.3f} | "
            f"{r['tflops']:.0f} | {r['ratio']:.2f}x | {100 * r['spread']:.0f}% | {r['config']} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dtypes", default="f16,bf16,f8e4m3")
    parser.add_argument("--shapes", default="4096x4096x4096,8192x8192x8192,16384x1024x4096")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved timing rounds per kernel")
    parser.add_argument("--cutlass-examples", metavar="CUTLASS_DIR", default=None,
                        help="also time CUTLASS's CuTe DSL Hopper GEMM examples from this checkout")
    parser.add_argument("--out", default=None, help="write the results table here (markdown)")
    args = parser.parse_args()
    configs = []
    for dtype in args.dtypes.split(","):
        for shape in args.shapes.split(","):
            m, n, k = (int(x) for x in shape.split("x"))
            configs.append(tuned_config(GemmConfig(m=m, n=n, k=k, dtype=dtype)))
            print(f"{dtype} {shape}: tuned {describe(configs[-1])}", flush=True)
    compile_in_parallel([(config, passes) for config in configs for passes in FORMS.values()], default_jobs())
    rows: list[dict] = []
    for config in configs:
        bench(config, rows, args.rounds, args.cutlass_examples)
    header = (
        f"Measured {datetime.date.today()} on {torch.cuda.get_device_name()} in one run: "
        f"torch {torch.__version__}, CUDA {torch.version.cuda}, nvidia-cutlass-dsl "
        f"{version('nvidia-cutlass-dsl')}, xdsl {version('xdsl')}. "
        "Each figure: median over interleaved rounds of triton.testing.do_bench medians, "
        "rotating inputs > L2; every pipeir form uses its problem's autotuned configuration "
        "(last column)."
    )
    text = header + "\n\n" + table(rows) + "\n"
    print(text)
    if args.out:
        Path(args.out).write_text(text)


if __name__ == "__main__":
    main()
