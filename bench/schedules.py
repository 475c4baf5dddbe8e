"""The cooperative and the pingpong consumer side by side, fp8, plain and fused (H200).

    python3 bench/schedules.py [--shapes 4096x4096x4096,8192x8192x8192] [--rounds N] [--out FILE]

For each problem, in one process, interleaved in shuffled rounds, on random fp8 e4m3
inputs rotating over more than 4x the L2, bf16 output: torch._scaled_mm rowwise, and for
each schedule of SCHEDULES its plain kernel and its fused rowwise scale + bias + silu
kernel (the same configuration, so the difference is the epilogue's cost), the latter
twice: as `pipeir.compile` builds it (the epilogue's first operand reads before the K
loop, `pipe.epilogue ... prefetch`) and with them after the accumulator wait
(`place-epilogue-loads{prefetch=false}`). Every kernel
is first checked against a float32 product (NaN-poisoned output) and dropped if wrong.
Times: triton.testing.do_bench medians (--timer: bench/gemm.py's other timers), the SM clock and power beside each. The markdown
table is printed last and written to --out (or $OUT/schedules.md).

The cooperative consumer runs both MMA warpgroups on one tile, so its epilogue leaves the
tensor cores idle; the pingpong consumer gives each warpgroup tiles of its own and
overlaps one warpgroup's epilogue with the other's MMAs (docs/lowering.md).
"""

from __future__ import annotations

import datetime
import os
import statistics
import sys
from dataclasses import replace
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gemm import TIMERS, input_sets, problem_arguments, shuffled_rounds, timed_problems  # noqa: E402
from gpu_clock import ClockSampler, device_limits  # noqa: E402

import pipeir  # noqa: E402
from pipeir.passes import HEADLINE_PIPELINE  # noqa: E402
from pipeir.target.spec import GemmConfig  # noqa: E402
from pipeir.tune import compile_in_parallel, default_jobs, describe  # noqa: E402

SCHEDULES = (
    dict(tile=(128, 256, 128), cluster=(2, 1)),
    dict(tile=(256, 128, 128), cluster=(1, 2)),
    dict(tile=(128, 128, 128), cluster=(1, 2), pingpong=True),
    dict(tile=(128, 128, 128), cluster=(2, 1), pingpong=True),
    dict(tile=(64, 256, 128), cluster=(2, 1), pingpong=True),
)
"""The fastest cooperative configurations the tuner found at 4096^3 and 8192^3 (bench/runs/
2026-11-30-epilogue-tuned.md) and the pingpong ones beside them."""
FUSED = dict(scale="rowwise", bias=True, activation="silu")
READS_AFTER_WAIT = (*HEADLINE_PIPELINE[:-1], "place-epilogue-loads{prefetch=false}")
"""The fused kernel's pipeline without the epilogue prefetch: its operand reads after the
accumulator wait (timed beside the default, which reads the first ones before the K loop)."""
BASELINE = "torch._scaled_mm rowwise"
MAX_RELATIVE_ERROR = 5e-3


def configs(m: int, n: int, k: int) -> list[tuple[GemmConfig, tuple[str, ...]]]:
    """(configuration, pipeline) of each kernel timed: per schedule, the plain kernel, the
    fused one, and the fused one with its reads after the accumulator wait."""
    found = []
    for fields in SCHEDULES:
        for epilogue in ({}, FUSED):
            config = GemmConfig(m=m, n=n, k=k, dtype="f8e4m3", **fields, **epilogue)
            config = replace(config, stages=config.max_stages)
            found.append((config, HEADLINE_PIPELINE))
            if epilogue:
                found.append((config, READS_AFTER_WAIT))
    return found


def label_of(config: GemmConfig, passes: tuple[str, ...]) -> str:
    schedule = "" if config.pingpong else "cooperative "  # describe names pingpong
    reads = ", reads after the wait" if passes == READS_AFTER_WAIT else ""
    return f"{'fused' if config.scale else 'plain'} {schedule}{describe(config)}{reads}"


def bench(m: int, n: int, k: int, rounds: int, sampler: ClockSampler, rows: list[dict], timer) -> None:
    problem = f"{m}x{n}x{k}"
    sets = input_sets(m, n, k, "f8e4m3")
    scale_a = torch.rand(m, 1, device="cuda") + 0.5
    scale_b = torch.rand(1, n, device="cuda") + 0.5
    bias = torch.randn(n, device="cuda").bfloat16()
    out = torch.empty(m, n, device="cuda", dtype=torch.bfloat16)
    a, b = sets[0]
    product = a.float() @ b.float().t()
    steps = {BASELINE: lambda a, b: torch._scaled_mm(a, b.t(), scale_a, scale_b, out_dtype=torch.bfloat16)}
    candidates = configs(m, n, k)
    errors = compile_in_parallel(candidates, default_jobs())
    for (config, passes), error in zip(candidates, errors):
        label = label_of(config, passes)
        if error:
            print(f"{problem} {label}: compile failed: {error}", flush=True)
            continue
        kernel = pipeir.compile(config, passes=passes, tune=False)
        if config.scale:
            def call(a, b, kernel=kernel):
                return kernel(a, b, out, scale_a=scale_a.reshape(-1), scale_b=scale_b.reshape(-1), bias=bias)
            expected = torch.nn.functional.silu(product * scale_a * scale_b + bias.float())
        else:
            def call(a, b, kernel=kernel):
                return kernel(a, b, out)
            expected = product
        out.fill_(float("nan"))
        call(a, b)
        error = ((out.float() - expected).norm() / expected.norm()).item()
        if not error <= MAX_RELATIVE_ERROR:  # NaN fails too
            print(f"{problem} {label}: WRONG (relative error {error:.2e}), dropped", flush=True)
            continue
        steps[label] = call
    times = shuffled_rounds(problem, steps, sets, rounds, sampler, timer)
    medians = {label: statistics.median(samples) for label, samples in times.items()}
    for label, samples in times.items():
        ms = medians[label]
        twin = label.replace("fused ", "plain ", 1).replace(", reads after the wait", "")
        plain = medians.get(twin) if label.startswith("fused ") else None
        rows.append(dict(problem=problem, kernel=label, ms=ms, tflops=2 * m * n * k / ms / 1e9,
                         vs_baseline=medians[BASELINE] / ms, epilogue_cost=ms / plain - 1 if plain else None,
                         spread=(max(samples) - min(samples)) / ms, clock_label=f"{problem} {label}"))
        print(f"{problem} {label}: {rows[-1]['tflops']:.0f} TFLOP/s", flush=True)


def table(rows: list[dict]) -> str:
    lines = ["| problem | kernel | ms | TFLOP/s | vs _scaled_mm rowwise | fused over its plain twin | spread | "
             "SM clock (MHz) | power (W) |", "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        clock = r["clock"]
        cost = f"{100 * r['epilogue_cost']:+.1f}%" if r["epilogue_cost"] is not None else "-"
        lines.append(f"| {r['problem']} | {r['kernel']} | {r['ms']:.4f} | {r['tflops']:.0f} | "
                     f"{r['vs_baseline']:.3f}x | {cost} | {100 * r['spread']:.1f}% | "
                     + (f"{clock['mhz']:.0f} | {clock['watts']:.0f} |" if clock else "n/a | n/a |"))
    return "\n".join(lines)


def main() -> None:
    args = problem_arguments(__doc__, rounds=3)
    rows = timed_problems(bench, args.shapes, args.rounds, TIMERS[args.timer])
    limits = device_limits()
    text = (
        f"Command: `python3 bench/schedules.py {' '.join(sys.argv[1:])}`\n\n"
        f"Measured {datetime.date.today()} on {torch.cuda.get_device_name()} in one process "
        f"(torch {torch.__version__}); nvidia-smi: {', '.join(f'{f} {v}' for f, v in limits.items())}. "
        f"{args.timer} medians over {args.rounds} shuffled rounds, random fp8 e4m3 inputs rotating over > L2, "
        f"bf16 output; fused = rowwise scales + bias + silu.\n\n" + table(rows) + "\n")
    out = args.out or (Path(os.environ["OUT"]) / "schedules.md" if os.environ.get("OUT") else None)
    if out:
        out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
