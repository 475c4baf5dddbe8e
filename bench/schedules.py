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

import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gemm import (  # noqa: E402
    TIMERS, checked, fused_fp8_step, input_sets, median_rows, problem_arguments, rowwise_fp8_operands,
    shuffled_rounds, timed_problems, write_report)
from gpu_clock import ClockSampler  # noqa: E402

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
    scale_a, scale_b, bias, out, baseline_step = rowwise_fp8_operands(m, n)
    steps = {BASELINE: baseline_step}
    candidates = configs(m, n, k)
    errors = compile_in_parallel(candidates, default_jobs())
    for (config, passes), error in zip(candidates, errors):
        label = label_of(config, passes)
        if error:
            print(f"{problem} {label}: compile failed: {error}", flush=True)
            continue
        kernel = pipeir.compile(config, passes=passes, tune=False)
        call, reference = fused_fp8_step(kernel, config, scale_a, scale_b, bias, out)
        if checked(f"{problem} {label}", call, reference, sets, out, MAX_RELATIVE_ERROR):
            steps[label] = call
    times = shuffled_rounds(problem, steps, sets, rounds, sampler, timer)
    timed = median_rows(problem, times, 2 * m * n * k, BASELINE)
    medians = {row["kernel"]: row["ms"] for row in timed}
    for row in timed:
        twin = row["kernel"].replace("fused ", "plain ", 1).replace(", reads after the wait", "")
        plain = medians.get(twin) if row["kernel"].startswith("fused ") else None
        row["epilogue_cost"] = row["ms"] / plain - 1 if plain else None
    rows += timed


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
    write_report("schedules.py", args, table(rows), "schedules.md",
                 "random fp8 e4m3 inputs rotating over > L2, bf16 output; fused = rowwise scales + bias + silu")


if __name__ == "__main__":
    main()
