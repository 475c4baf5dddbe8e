"""Side-by-side GEMM timings on the GPU: cuBLAS (torch.matmul / torch._scaled_mm)
against pipeir's naive form, the form after each pass, and the full pipeline.

    python3 bench/gemm.py [--dtypes f16,bf16,f8e4m3] [--shapes 4096x4096x4096,...]
                          [--timer do_bench|back-to-back|clean-l2] [--rounds N]
                          [--cutlass-examples CUTLASS_DIR] [--out bench/RESULTS.md]

Every pipeir form uses the autotuned configuration of its problem (pipeir.tune:
cached in pipeir's cache, or tuned at the start of the run), so the forms differ
only by the passes. With --cutlass-examples, CUTLASS's own CuTe DSL Hopper GEMM
examples found in that checkout are timed beside them (bench/cutlass_examples.py).

Three timers (--timer), all over input sets rotated so that their total exceeds L2
(no run reads a warm cache), after warm-up:
  do_bench      triton.testing.do_bench's median (the default). It clears L2 between
                launches, so the GPU idles briefly between GEMMs; the clear zeroes
                256 MB, so the next kernel starts with the L2 full of dirty lines.
  clean-l2      do_bench's method with a flush that reads the 256 MB instead: no dirty
                lines, so no write-back shares the timed kernel's DRAM time.
  back-to-back  CUDA events around batches of launches with no gap between them
                (the median of 5 batches of at least
                40 ms): the clock and power a stream of GEMMs settles at.
Every pipeir kernel is checked against the reference before it is timed.
Prints a table (TFLOP/s, ratio to the cuBLAS baseline) and writes it, with the
date, GPU and versions, to --out. Beside each kernel: the median SM clock and power
nvidia-smi sampled while it was timed, and its share of the tensor-core peak at that
clock (bench/gpu_clock.py), which tells a slower kernel from a slower clock. The full
pipeline is timed twice in every round; a second table compares naive with full
round by round beside that same-kernel spread.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import statistics
import sys
from importlib.metadata import version
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pipeir  # noqa: E402
from cutlass_examples import example_calls  # noqa: E402
from gpu_clock import PEAK_DESCRIPTION, SAMPLE_MS, ClockSampler, device_limits, share_of_peak  # noqa: E402
from pipeir.target.spec import GemmConfig  # noqa: E402
from pipeir.build import epilogue_operands  # noqa: E402
from pipeir.runtime.objects import TORCH_DTYPES  # noqa: E402
from pipeir.tools.tune import problem_shape  # noqa: E402
from pipeir.tune import (  # noqa: E402
    compile_in_parallel,
    default_jobs,
    describe,
    FLUSH_BYTES,
    flushed_launch_times,
    reference_output,
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


def cycling(call, sets):
    """A step that calls `call` on the next of the input `sets` each time, round and round."""
    position = [0]

    def step():
        a, b = sets[position[0] % len(sets)]
        position[0] += 1
        call(a, b)

    return step


def do_bench_ms(call, sets, warmup: int = 100, rep: int = 500) -> float:
    """triton.testing.do_bench medians (L2 cleared between launches): `warmup` ms of
    launches, then `rep` ms timed, cycling through the input `sets`"""
    import triton.testing

    return triton.testing.do_bench(cycling(call, sets), warmup=warmup, rep=rep, return_mode="median")


def back_to_back_ms(call, sets, batches: int = 5, target_ms: float = 40.0) -> float:
    """CUDA-event timings of back-to-back launches: the median over `batches` batches of
    at least `target_ms` each of the per-launch time, cycling through the input `sets`"""
    step = cycling(call, sets)
    for _ in sets:
        step()
    torch.cuda.synchronize()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in sets:
        step()
    end.record()
    end.synchronize()
    launches = max(len(sets), min(2000, int(target_ms / max(start.elapsed_time(end) / len(sets), 1e-3))))
    per_launch = []
    for _ in range(batches):
        start.record()
        for _ in range(launches):
            step()
        end.record()
        end.synchronize()
        per_launch.append(start.elapsed_time(end) / launches)
    return statistics.median(per_launch)


def clean_l2_ms(call, sets, warmup: int = 100, rep: int = 500) -> float:
    """do_bench's method with an L2 flush that leaves no dirty lines (a read of 256 MB
    where do_bench zeroes them, leaving dirty lines whose write-back the timed kernel's
    loads then pay for): each launch timed alone between CUDA events, the median of `rep`
    ms after `warmup` ms, cycling through the input `sets`"""
    flush_buffer = torch.empty(FLUSH_BYTES // 2, dtype=torch.bfloat16, device="cuda").normal_()
    step = cycling(call, sets)

    def timed(count: int) -> list[float]:
        return flushed_launch_times(step, count, lambda: flush_buffer.sum(dtype=torch.float32))

    estimate = statistics.median(timed(5))
    timed(max(1, int(warmup / estimate)))
    return statistics.median(timed(max(1, int(rep / estimate))))


TIMERS = {"do_bench": do_bench_ms, "back-to-back": back_to_back_ms, "clean-l2": clean_l2_ms}


def checked(label: str, call, reference, sets, out, max_error: float) -> bool:
    """Whether `call(a, b)` reproduces `reference(a, b)` on the first input set within
    `max_error` (relative, Frobenius), its output `out` NaN-poisoned first; a step that
    raises is reported and left out, as a wrong one is (a peer's failure must not end
    the run)."""
    a, b = sets[0]
    out.fill_(float("nan"))
    try:
        result = call(a, b)
    except Exception as error:
        print(f"  {label}: {type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}; left out")
        return False
    expected = reference(a, b)
    error = ((result.float() - expected).norm() / expected.norm()).item()
    print(f"  {label}: relative error {error:.2e}", flush=True)
    return error <= max_error  # NaN fails too


def rowwise_fp8_operands(m: int, n: int):
    """Epilogue operands of an fp8 M x N product: random rowwise scales (M, 1) and (1, N) in
    [0.5, 1.5), a random bf16 bias (N,), a bf16 output, and torch._scaled_mm's rowwise
    step with those scales (the baseline)."""
    scale_a = torch.rand(m, 1, device="cuda") + 0.5
    scale_b = torch.rand(1, n, device="cuda") + 0.5
    bias = torch.randn(n, device="cuda").bfloat16()
    out = torch.empty(m, n, device="cuda", dtype=torch.bfloat16)

    def baseline_step(a, b):
        return torch._scaled_mm(a, b.t(), scale_a, scale_b, out_dtype=torch.bfloat16)

    return scale_a, scale_b, bias, out, baseline_step


def fused_fp8_step(kernel, config: GemmConfig, scale_a, scale_b, bias, out):
    """(call, reference) of a static fp8 kernel: the call passes the epilogue operands its
    configuration takes (rowwise scales (M, 1) / (1, N) flattened, a bias), the reference
    is the tuner's float32 product with the same epilogue (pipeir.tune.reference_output)."""
    values = {"scale_a": scale_a.reshape(-1), "scale_b": scale_b.reshape(-1), "bias": bias}
    operands = {name: values[name] for name, _, _ in epilogue_operands(config)}

    def call(a, b):
        return kernel(a, b, out, **operands)

    def reference(a, b):
        return reference_output(config, (a, b, out, *operands.values()))

    return call, reference


def median_rows(problem: str, times: dict, flops: float, baseline: str) -> list[dict]:
    """A row per step of `times` (its samples in ms): the median, TFLOP/s, the speed-up over
    step `baseline`, the spread between rounds, the label the clock was sampled under; each
    printed as it is made."""
    medians = {label: statistics.median(samples) for label, samples in times.items()}
    rows = []
    for label, samples in times.items():
        ms = medians[label]
        rows.append(dict(problem=problem, kernel=label, ms=ms, tflops=flops / ms / 1e9,
                         vs_baseline=medians[baseline] / ms, spread=(max(samples) - min(samples)) / ms,
                         clock_label=f"{problem} {label}"))
        print(f"{problem} {label}: {rows[-1]['tflops']:.0f} TFLOP/s", flush=True)
    return rows


def write_report(script: str, args, table_text: str, default_name: str, what: str) -> None:
    """Print a run's markdown (the command, GPU, torch, nvidia-smi limits, the timer over
    `args.rounds` shuffled rounds, `what` was timed, then `table_text`) and write it to
    `args.out`, or to $OUT/`default_name` when $OUT is set."""
    limits = device_limits()
    text = (
        f"Command: `python3 bench/{script} {' '.join(sys.argv[1:])}`\n\n"
        f"Measured {datetime.date.today()} on {torch.cuda.get_device_name()} in one process "
        f"(torch {torch.__version__}); nvidia-smi: {', '.join(f'{f} {v}' for f, v in limits.items())}. "
        f"{args.timer} medians over {args.rounds} shuffled rounds, {what}.\n\n" + table_text + "\n")
    out = args.out or (Path(os.environ["OUT"]) / default_name if os.environ.get("OUT") else None)
    if out:
        out.write_text(text)
    print(text)


def shuffled_rounds(problem: str, steps: dict, sets, rounds: int, sampler, timer=do_bench_ms) -> dict[str, list[float]]:
    """Every step of `steps` timed once per round, each round in a new shuffled order
    (the GPU's clock drifts within a run and its state carries over from one kernel to
    the next: interleaving exposes every kernel to both alike), the clock sampled beside
    each timing under the label "{problem} {step}". The samples of each step, in ms."""
    times: dict[str, list[float]] = {label: [] for label in steps}
    order = list(steps)
    shuffle = random.Random(f"{problem} {rounds}").shuffle
    for _ in range(rounds):
        shuffle(order)
        for label in order:
            with sampler.timing(f"{problem} {label}"):
                times[label].append(timer(steps[label], sets))
    return times


def baseline(dtype: str, out_dtype: torch.dtype):
    if dtype.startswith("f8"):
        one = torch.ones((), device="cuda")
        return "torch._scaled_mm", lambda a, b: torch._scaled_mm(a, b.t(), one, one, out_dtype=out_dtype)
    return "torch.matmul", lambda a, b: torch.matmul(a, b.t())


SECOND_TIMING = "pipeir full pipeline, timed again"
"""The full pipeline's kernel timed a second time in each round: the spread between two
timings of one kernel is the noise floor any difference between forms is read against."""


def bench(config: GemmConfig, rows: list[dict], pairs: list[dict], rounds: int, examples: str | None,
          sampler: ClockSampler, milliseconds) -> None:
    """Time the baseline and every form in `rounds` interleaved rounds, each in a new
    shuffled order (the GPU's clock drifts within a run: interleaving exposes every
    kernel to the same drift, shuffling gives none a fixed predecessor), and report
    each kernel's median over the rounds."""
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
    steps = {name: call}
    checked = (*sets[0], out)
    reference = reference_product(checked, "k")
    for label, candidate in candidates.items():
        error = relative_error(lambda a, b, _, candidate=candidate: candidate(a, b), checked, reference)
        if not error < 5e-2:
            print(f"{label} {dtype} {shape}: relative error {error}; not timed")
            continue
        steps[label] = candidate
    if "pipeir full pipeline" in steps:
        steps[SECOND_TIMING] = steps["pipeir full pipeline"]
    problem = f"{dtype} {m}x{n}x{k}"
    times = shuffled_rounds(problem, steps, sets, rounds, sampler, milliseconds)
    base_ms = statistics.median(times[name])
    for label, samples in times.items():
        ms = statistics.median(samples)
        tflops = flops / ms / 1e9
        rows.append(dict(dtype=dtype, shape=shape, kernel=label, ms=ms, clock_label=f"{problem} {label}",
                         config=describe(config) if label.startswith("pipeir") else "",
                         spread=(max(samples) - min(samples)) / ms, tflops=tflops, ratio=base_ms / ms))
        print(f"{problem} {label}: {tflops:.0f} TFLOP/s ({base_ms / ms:.2f}x {name})", flush=True)
    if SECOND_TIMING in times and "pipeir naive" in times:
        full = times["pipeir full pipeline"]
        pairs.append(dict(
            problem=problem,
            naive_over_full=[naive_ms / full_ms for naive_ms, full_ms in zip(times["pipeir naive"], full)],
            again_over_full=[again_ms / full_ms for again_ms, full_ms in zip(times[SECOND_TIMING], full)],
        ))


def table(rows: list[dict]) -> str:
    lines = [
        "| dtype | M x N x K | kernel | ms | TFLOP/s | vs cuBLAS | spread over rounds | SM clock (MHz) "
        "| power (W) | of tensor peak at that clock | configuration |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        clock = r["clock"]
        measured = (f"{clock['mhz']:.0f} | {clock['watts']:.0f} | {100 * r['peak']:.0f}%" if clock
                    else "n/a | n/a | n/a")
        lines.append(
            f"| {r['dtype']} | {'x'.join(map(str, r['shape']))} | {r['kernel']} | {r['ms']:.3f} | "
            f"{r['tflops']:.0f} | {r['ratio']:.2f}x | {100 * r['spread']:.0f}% | {measured} | {r['config']} |"
        )
    return "\n".join(lines)


def pair_table(pairs: list[dict]) -> str:
    """Naive against full pipeline, round by round, beside the full pipeline against
    itself: a ratio above 1 means the full pipeline was faster in that round."""
    lines = [
        "| problem | naive ms / full ms: median (min-max over rounds) | full ms, 2nd timing / 1st: median (min-max) |",
        "|---|---|---|",
    ]
    for pair in pairs:
        cells = [
            f"{statistics.median(ratios):.3f} ({min(ratios):.3f}-{max(ratios):.3f})"
            for ratios in (pair["naive_over_full"], pair["again_over_full"])
        ]
        lines.append(f"| {pair['problem']} | {cells[0]} | {cells[1]} |")
    return "\n".join(lines)


BENCHED_DTYPES = ("f16", "bf16", "f8e4m3")


def dtype_list(text: str) -> list[str]:
    dtypes = text.split(",")
    unknown = [dtype for dtype in dtypes if dtype not in BENCHED_DTYPES]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown dtype {unknown[0]!r}; choose from {', '.join(BENCHED_DTYPES)}")
    return dtypes


def shape_list(text: str) -> list[tuple[int, int, int]]:
    return [problem_shape(shape) for shape in text.split(",")]


def problem_arguments(description: str, rounds: int, add_arguments=None) -> argparse.Namespace:
    """The command line of the benches that time a few MxNxK problems: --shapes (default
    4096^3 and 8192^3), --rounds, --out, --timer, and what `add_arguments(parser)` adds;
    they need a CUDA GPU."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    if add_arguments is not None:
        add_arguments(parser)
    parser.add_argument("--shapes", type=shape_list, default=[(4096, 4096, 4096), (8192, 8192, 8192)],
                        help="comma-separated MxNxK problems (default 4096^3 and 8192^3)")
    parser.add_argument("--rounds", type=int, default=rounds, help="interleaved timing rounds")
    parser.add_argument("--out", type=Path, default=None, help="write the table here (markdown)")
    parser.add_argument("--timer", choices=TIMERS, default="do_bench",
                        help="do_bench (default; the L2 cleared by zeroing 256 MB), clean-l2 (cleared by reading "
                             "them) or back-to-back (no clear, no gap)")
    args = parser.parse_args()
    if not torch.cuda.is_available():
        parser.error("needs a CUDA GPU (sm_90a)")
    return args


def timed_problems(bench, shapes, rounds: int, timer) -> list[dict]:
    """`bench(m, n, k, rounds, sampler, rows, timer)` for each problem with the clock
    sampled; each row gets the clock and power sampled under its `clock_label`."""
    rows: list[dict] = []
    with ClockSampler() as sampler:
        for m, n, k in shapes:
            bench(m, n, k, rounds, sampler, rows, timer)
    for row in rows:
        row["clock"] = sampler.summary(row["clock_label"])
    return rows


def positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return int(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dtypes", type=dtype_list, default="f16,bf16,f8e4m3",
                        help="comma-separated: f16, bf16, f8e4m3 (fp8 runs against torch._scaled_mm)")
    parser.add_argument("--shapes", type=shape_list, default="4096x4096x4096,8192x8192x8192,16384x1024x4096",
                        help="comma-separated MxNxK problems")
    parser.add_argument("--rounds", type=positive, default=5, help="interleaved timing rounds per kernel")
    parser.add_argument("--timer", choices=TIMERS, default="do_bench",
                        help="do_bench (L2 cleared between launches) or back-to-back launches")
    parser.add_argument("--cutlass-examples", metavar="CUTLASS_DIR", default=None,
                        help="also time CUTLASS's CuTe DSL Hopper GEMM examples from this checkout")
    parser.add_argument("--out", default=None, help="write the results table here (markdown)")
    args = parser.parse_args()
    if not torch.cuda.is_available():
        parser.error("needs a CUDA GPU (sm_90a)")
    configs = []
    for dtype in args.dtypes:
        for m, n, k in args.shapes:
            configs.append(tuned_config(GemmConfig(m=m, n=n, k=k, dtype=dtype), tune_now=True))
            print(f"{dtype} {m}x{n}x{k}: tuned {describe(configs[-1])}", flush=True)
    compile_in_parallel([(config, passes) for config in configs for passes in FORMS.values()], default_jobs())
    rows: list[dict] = []
    pairs: list[dict] = []
    with ClockSampler() as sampler:
        for config in configs:
            bench(config, rows, pairs, args.rounds, args.cutlass_examples, sampler, TIMERS[args.timer])
    for row in rows:  # after the sampler stopped, so every sample it took has been read
        row["clock"] = sampler.summary(row["clock_label"])
        row["peak"] = share_of_peak(row["tflops"], row["clock"]["mhz"], row["dtype"]) if row["clock"] else None
    limits = device_limits()
    header = (
        f"Measured {datetime.date.today()} on {torch.cuda.get_device_name()} in one run: "
        f"torch {torch.__version__}, CUDA {torch.version.cuda}, nvidia-cutlass-dsl "
        f"{version('nvidia-cutlass-dsl')}, xdsl {version('xdsl')}. "
        + (f"nvidia-smi: {', '.join(f'{field} {value}' for field, value in limits.items())}. " if limits else "")
        + f"Each figure: median over interleaved rounds (each in a shuffled order) of {TIMERS[args.timer].__doc__}, "
        "rotating inputs > L2; every pipeir form uses its problem's autotuned configuration "
        f"(last column). SM clock and power: medians of nvidia-smi samples every "
        f"{SAMPLE_MS} ms while the kernel was timed; tensor peak: {PEAK_DESCRIPTION} at that clock."
    )
    text = header + "\n\n" + table(rows) + "\n\n" + pair_table(pairs) + "\n"
    print(text)
    if args.out:
        Path(args.out).write_text(text)


if __name__ == "__main__":
    main()
