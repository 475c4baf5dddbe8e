"""The collective backend against the string-template frame it replaced, on the GPU.

    python3 bench/backend.py --old-frame DIR [--configs bench/backend_configs.json]
                             [--rounds N] [--out FILE]

For each problem of --configs (dtype, M, N, K and a fixed configuration: tile,
cluster, raster, stages), in one process, interleaved in shuffled rounds:
  * the cuBLAS baseline (torch.matmul; torch._scaled_mm with unit scales for fp8),
  * the old frame's kernel: the module the template lowering (pipeir <= b165d0e)
    generated for that configuration through the headline pipeline, read from
    DIR/<dtype>_<M>x<N>x<K>.py (generate them with that commit's `pipeir-opt
    --fold-static-full --roll-producer --hoist-rank --emit=cute`; they are not kept
    in the repository),
  * the same old kernel timed a second time (the noise floor of the ratios),
  * the collective backend's kernel with the consumer that keeps one WGMMA batch in
    flight (`mma_in_flight=1`, the builder's default), and with the serial consumer
    that waits for every batch (`mma_in_flight=0`, the old frame's behaviour).
Every kernel is checked against a float32 product first (NaN-poisoned output). Times:
triton.testing.do_bench medians over rotating inputs larger than L2; beside each
kernel the SM clock and power nvidia-smi sampled while it ran (bench/gpu_clock.py).
"""

from __future__ import annotations

import argparse
import datetime
import json
import statistics
import sys
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gemm import baseline, input_sets, shuffled_rounds  # noqa: E402
from gpu_clock import ClockSampler, device_limits  # noqa: E402

import pipeir  # noqa: E402
from pipeir.passes import HEADLINE_PIPELINE  # noqa: E402
from pipeir.runtime.objects import TORCH_DTYPES, compiled_function  # noqa: E402
from pipeir.target.spec import GemmConfig  # noqa: E402
from pipeir.tune import compile_in_parallel, default_jobs, reference_product, relative_error  # noqa: E402

CONSUMERS = {"pipeir, 1 WGMMA batch in flight": 1, "pipeir, serial WGMMA": 0}
OLD_FRAME = "old frame (template)"
OLD_AGAIN = "old frame, timed again"
"""The old kernel timed twice each round: the spread between two timings of one kernel is
the noise floor the other ratios are read against."""


def config_of(entry: dict, mma_in_flight: int) -> GemmConfig:
    return GemmConfig(
        m=entry["m"], n=entry["n"], k=entry["k"], dtype=entry["dtype"], tile=tuple(entry["tile"]),
        cluster=tuple(entry["cluster"]), raster=entry["raster"], stages=entry["stages"],
        mma_in_flight=mma_in_flight,
    )


def old_source(directory: Path, entry: dict) -> str:
    return (directory / f"{entry['dtype']}_{entry['m']}x{entry['n']}x{entry['k']}.py").read_text()


def compile_old(source: str) -> None:
    compiled_function(source, "sm_90a")  # fills the object cache


def bench(entry: dict, old_frame: Path, rounds: int, sampler: ClockSampler, rows: list[dict]) -> None:
    m, n, k, dtype = entry["m"], entry["n"], entry["k"], entry["dtype"]
    problem = f"{dtype} {m}x{n}x{k}"
    sets = input_sets(m, n, k, dtype)
    out_dtype = TORCH_DTYPES[config_of(entry, 1).c_dtype]
    out = torch.empty(m, n, device="cuda", dtype=out_dtype)
    name, call = baseline(dtype, out_dtype)
    old = compiled_function(old_source(old_frame, entry), "sm_90a").function
    steps = {name: call, OLD_FRAME: lambda a, b: old(a, b, out)}
    for label, in_flight in CONSUMERS.items():
        kernel = pipeir.compile(config_of(entry, in_flight), HEADLINE_PIPELINE, tune=False)
        steps[label] = lambda a, b, kernel=kernel: kernel(a, b, out=out)
    steps[OLD_AGAIN] = steps[OLD_FRAME]
    checked = (*sets[0], out)
    reference = reference_product(checked, "k")
    for label in [label for label in steps if label not in (name, OLD_AGAIN)]:  # the baseline returns its product
        error = relative_error(lambda a, b, _, step=steps[label]: step(a, b), checked, reference)
        print(f"{problem} {label}: relative error {error:.2e}", flush=True)
        if not error < 2e-2:
            del steps[label]
            if label == OLD_FRAME:
                del steps[OLD_AGAIN]
    times = shuffled_rounds(problem, steps, sets, rounds, sampler)
    base = statistics.median(times[name])
    old_ms = statistics.median(times[OLD_FRAME]) if OLD_FRAME in times else None
    for label, samples in times.items():
        ms = statistics.median(samples)
        rows.append(dict(problem=problem, kernel=label, ms=ms, tflops=2 * m * n * k / ms / 1e9,
                         vs_cublas=base / ms, vs_old=old_ms / ms if old_ms else None,
                         spread=(max(samples) - min(samples)) / ms, clock_label=f"{problem} {label}"))
        print(f"{problem} {label}: {rows[-1]['tflops']:.0f} TFLOP/s", flush=True)


def table(rows: list[dict]) -> str:
    lines = [
        "| problem | kernel | ms | TFLOP/s | vs cuBLAS | vs old frame | spread | SM clock (MHz) | power (W) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        clock = r["clock"]
        lines.append(
            f"| {r['problem']} | {r['kernel']} | {r['ms']:.4f} | {r['tflops']:.0f} | {r['vs_cublas']:.3f}x | "
            + (f"{r['vs_old']:.3f}x" if r["vs_old"] else "-")
            + f" | {100 * r['spread']:.1f}% | "
            + (f"{clock['mhz']:.0f} | {clock['watts']:.0f} |" if clock else "n/a | n/a |")
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--old-frame", type=Path, required=True, help="the old frame's generated modules")
    parser.add_argument("--configs", type=Path, default=Path(__file__).with_name("backend_configs.json"),
                        help="JSON list of problems with fixed configurations")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved timing rounds")
    parser.add_argument("--out", type=Path, default=None, help="write the table here (markdown)")
    args = parser.parse_args()
    if not torch.cuda.is_available():
        parser.error("needs a CUDA GPU (sm_90a)")
    entries = json.loads(args.configs.read_text())
    compile_in_parallel(
        [(config_of(entry, in_flight), HEADLINE_PIPELINE) for entry in entries for in_flight in CONSUMERS.values()],
        default_jobs(),
    )
    with ProcessPoolExecutor(default_jobs(), mp_context=multiprocessing.get_context("spawn")) as pool:
        list(pool.map(compile_old, [old_source(args.old_frame, entry) for entry in entries]))
    rows: list[dict] = []
    with ClockSampler() as sampler:
        for entry in entries:
            bench(entry, args.old_frame, args.rounds, sampler, rows)
    for row in rows:
        row["clock"] = sampler.summary(row["clock_label"])
    limits = device_limits()
    text = (
        f"Measured {datetime.date.today()} on {torch.cuda.get_device_name()} in one process "
        f"(torch {torch.__version__}); nvidia-smi: {', '.join(f'{f} {v}' for f, v in limits.items())}. "
        f"do_bench medians over {args.rounds} shuffled rounds, rotating inputs > L2.\n\n" + table(rows) + "\n"
    )
    print(text)
    if args.out:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
