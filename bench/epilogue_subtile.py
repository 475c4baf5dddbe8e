"""The sm_90a epilogue's subtile, staging buffers and operand read-ahead side by side, fp8.

    python3 bench/epilogue_subtile.py [--shapes 4096x4096x4096,8192x8192x8192] [--rounds N] [--out FILE]
                                      [--subtiles 128x32x4,128x64x2,...] [--read-ahead 1,2]
    python3 bench/epilogue_subtile.py --compile-only      (no GPU: fills the object cache)

The epilogue stages the output tile through shared memory a subtile at a time
(`Sm90Target.EPILOGUE_TILE`, in `EPILOGUE_STAGES` buffers), each subtile behind two
barriers of the MMA warpgroups and a TMA store; under the cooperative consumer the
tensor cores wait through all of it. The operand values of a fused epilogue (scales,
bias) are read `EPILOGUE_READ_AHEAD` subtiles ahead of the subtile being stored. This
builds each schedule of SCHEDULES with each (subtile, buffers) of --subtiles and each
read-ahead of --read-ahead (default: the target's), as a plain fp8 kernel, as `pipeir.scaled_mm`'s rowwise-scaled one and
with rowwise scales + bias + silu (EPILOGUES), at the deepest ring that fits beside the
buffers, and times them in one process, interleaved in shuffled rounds, on random fp8
e4m3 inputs rotating over more than 4x the L2, bf16 output, beside torch._scaled_mm
rowwise. Every kernel is first checked against a float32 product (NaN-poisoned output)
and dropped if wrong.

The subtile and the read-ahead are the target's constants, so each variant is built with them
set on the target for that build only (`subtile`). --compile-only builds every kernel on
the CPU into the object cache (CUTE_DSL_ARCH=sm_90a; PIPEIR_CACHE_DIR chooses the cache), from which a
GPU run of the same checkout loads them. Table printed last, and written to --out (or
$OUT/epilogue_subtile.md).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import os
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pipeir  # noqa: E402
from pipeir.target.sm90 import SM90  # noqa: E402
from pipeir.target.spec import GemmConfig  # noqa: E402
from pipeir.tune import describe  # noqa: E402

SCHEDULES = (
    dict(tile=(128, 256, 128), cluster=(2, 1), raster="n"),
    dict(tile=(256, 128, 128), cluster=(1, 2), raster="m"),
    dict(tile=(128, 128, 128), cluster=(1, 2), raster="m", pingpong=True),
)
"""The tuner's choices for fp8 4096^3 and 8192^3 (bench/runs/2026-12-01-*.md)."""
SUBTILES = ((128, 32, 4), (128, 64, 2), (128, 128, 2), (128, 64, 4))
"""(rows, columns, buffers): the target's (EPILOGUE_TILE, EPILOGUE_STAGES) first."""
EPILOGUES = {"plain": {}, "rowwise": dict(scale="rowwise"),
             "rowwise + bias + silu": dict(scale="rowwise", bias=True, activation="silu")}
"""Each schedule's kernels: no epilogue, pipeir.scaled_mm's, and issue 14's fused one."""
BASELINE = "torch._scaled_mm rowwise"
MAX_RELATIVE_ERROR = 5e-3


@contextlib.contextmanager
def subtile(rows: int, columns: int, buffers: int, read_ahead: int):
    """The sm_90a target with this epilogue subtile, buffer count and read-ahead, for the
    builds inside."""
    SM90.EPILOGUE_TILE, SM90.EPILOGUE_STAGES, SM90.EPILOGUE_READ_AHEAD = (rows, columns), buffers, read_ahead
    try:
        yield
    finally:
        del SM90.EPILOGUE_TILE, SM90.EPILOGUE_STAGES, SM90.EPILOGUE_READ_AHEAD


def variants(m: int, n: int, k: int, subtiles=SUBTILES, read_aheads=(SM90.EPILOGUE_READ_AHEAD,)):
    """(label, (subtile, read-ahead), configuration) of each kernel: every schedule x
    subtile x read-ahead x EPILOGUES. A pingpong subtile has one warpgroup's 64 rows, so subtiles that
    differ only in rows there build one kernel, listed once."""
    found, labels = [], set()
    for fields in SCHEDULES:
        for sub in [(*piece, ahead) for piece in subtiles for ahead in read_aheads]:
            for name, epilogue in EPILOGUES.items():
                config = GemmConfig(m=m, n=n, k=k, dtype="f8e4m3", **epilogue, **fields)
                with subtile(*sub):
                    config = replace(config, stages=config.max_stages)
                    rows, columns = SM90.epilogue_tile(config)
                    label = (f"{name} {'' if config.pingpong else 'cooperative '}"
                             f"{describe(config)}, subtile {rows}x{columns} x{SM90.epilogue_stages(config)}"
                             f"{'' if len(read_aheads) == 1 else f', reads {sub[3]} ahead'}")
                if label not in labels:
                    labels.add(label)
                    found.append((label, sub, config))
    return found


def build(sub, config):
    with subtile(*sub):
        return pipeir.compile(config, tune=False)


def bench(m, n, k, rounds, sampler, rows, timer, subtiles=SUBTILES, read_aheads=(SM90.EPILOGUE_READ_AHEAD,)):
    from gemm import checked, fused_fp8_step, input_sets, median_rows, rowwise_fp8_operands, shuffled_rounds

    problem = f"{m}x{n}x{k}"
    sets = input_sets(m, n, k, "f8e4m3")
    scale_a, scale_b, bias, out, baseline_step = rowwise_fp8_operands(m, n)
    steps = {BASELINE: baseline_step}
    for label, sub, config in variants(m, n, k, subtiles, read_aheads):
        call, reference = fused_fp8_step(build(sub, config), config, scale_a, scale_b, bias, out)
        if checked(f"{problem} {label}", call, reference, sets, out, MAX_RELATIVE_ERROR):
            steps[label] = call
    times = shuffled_rounds(problem, steps, sets, rounds, sampler, timer)
    rows += median_rows(problem, times, 2 * m * n * k, BASELINE)


def table(rows) -> str:
    lines = ["| problem | kernel | ms | TFLOP/s | vs _scaled_mm rowwise | spread | SM clock (MHz) | power (W) |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        clock = r["clock"]
        lines.append(f"| {r['problem']} | {r['kernel']} | {r['ms']:.4f} | {r['tflops']:.0f} | {r['vs_baseline']:.3f}x | "
                     f"{100 * r['spread']:.1f}% | "
                     + (f"{clock['mhz']:.0f} | {clock['watts']:.0f} |" if clock else "n/a | n/a |"))
    return "\n".join(lines)


def subtile_list(text: str):
    return tuple(tuple(int(v) for v in item.split("x")) for item in text.split(","))


def int_list(text: str):
    return tuple(int(item) for item in text.split(","))


def compile_only(shapes, subtiles, read_aheads) -> None:
    os.environ.setdefault("CUTE_DSL_ARCH", "sm_90a")
    for m, n, k in shapes:
        for label, sub, config in variants(m, n, k, subtiles, read_aheads):
            build(sub, config)
            print(f"{m}x{n}x{k} {label}: compiled", flush=True)


def main() -> None:
    if "--compile-only" in sys.argv:
        parser = argparse.ArgumentParser(description=__doc__)
        parser.add_argument("--compile-only", action="store_true")
        parser.add_argument("--shapes", default="4096x4096x4096,8192x8192x8192")
        parser.add_argument("--subtiles", type=subtile_list, default=SUBTILES)
        parser.add_argument("--read-ahead", type=int_list, default=(SM90.EPILOGUE_READ_AHEAD,))
        args = parser.parse_args()
        compile_only([tuple(int(v) for v in s.split("x")) for s in args.shapes.split(",")], args.subtiles,
                     args.read_ahead)
        return
    from gemm import TIMERS, problem_arguments, timed_problems, write_report

    def arguments(parser):
        parser.add_argument("--subtiles", type=subtile_list, default=SUBTILES,
                            help="(rows)x(columns)x(buffers) of each variant, comma-separated")
        parser.add_argument("--read-ahead", type=int_list, default=(SM90.EPILOGUE_READ_AHEAD,),
                            help="subtiles of operand values read ahead, comma-separated")

    args = problem_arguments(__doc__, rounds=3, add_arguments=arguments)
    rows = timed_problems(functools.partial(bench, subtiles=args.subtiles, read_aheads=args.read_ahead), args.shapes,
                          args.rounds,
                          TIMERS[args.timer])
    write_report("epilogue_subtile.py", args, table(rows), "epilogue_subtile.md",
                 "random fp8 e4m3 inputs rotating over > L2, bf16 output")


if __name__ == "__main__":
    main()
