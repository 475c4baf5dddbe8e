"""Fused fp8 epilogues against torch._scaled_mm, on the GPU (issue 14, acceptance 2).

    python3 bench/epilogue.py [--shapes 4096x4096x4096,8192x8192x8192] [--rounds N] [--out FILE]
                              [--timer do_bench|clean-l2|back-to-back]
                              [--cutlass-examples CUTLASS_DIR] [--quack] [--static-only]

For each problem, in one process, interleaved in shuffled rounds, on random fp8 e4m3
inputs rotating over more than 4x the 50 MB L2, bf16 output:
  * torch._scaled_mm rowwise (scale_a (M, 1), scale_b (1, N)) and tensorwise (scalars),
    and rowwise with a bias when this torch supports it;
  * pipeir.scaled_mm rowwise and tensorwise (the API call, dispatch included);
  * pipeir's fused rowwise scale + bias + silu kernel, and its tensorwise scale + gelu one;
  * pipeir's plain fp8 kernel (no epilogue) of the same configuration, timed twice (the
    second timing is the noise floor the ratios are read against);
  * peers, when asked: with --cutlass-examples, CUTLASS's CuTe DSL Hopper WS persistent
    example (plain fp8) and its fp8 scale + gelu example (the same kernel with a fused
    tensorwise scale and erf gelu; bench/cutlass_examples.py), both at their documented
    128x256 tile and 2x1 cluster; with --quack, quack-kernels' tuned fp8 GEMM (plain).
Every pipeir kernel takes the autotuner's choice (`pipeir.compile(..., tune=True)`: one
tuning run per kernel on first use, then the cache): a fused kernel is tuned with its
epilogue, and its cost is read against the plain kernel of its own configuration (its
"plain twin", timed too where that is not the plain product's own choice);
pipeir.scaled_mm its M class's bucket (`tune=True`: tuned on first use likewise). Every
step is first checked against a float32 product of the same fused computation
(NaN-poisoned outputs). Times: triton.testing.do_bench medians (--timer: bench/gemm.py's
other timers); beside each the SM clock and power nvidia-smi sampled while it ran
(bench/gpu_clock.py). The table, printed last, is also written to --out and, when the
environment variable OUT names a folder, to $OUT/epilogue.md.

Targets (issue 14): pipeir.scaled_mm rowwise >= 1.15x torch._scaled_mm rowwise at 4096^3
and >= 1.10x at 8192^3; the fused rowwise + bias + silu kernel within 3% of the plain one.
"""

from __future__ import annotations

import datetime
import functools
import os
import statistics
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cutlass_examples import example_calls  # noqa: E402
from gemm import (  # noqa: E402
    TIMERS, checked, fused_fp8_step, input_sets, problem_arguments, rowwise_fp8_operands, shuffled_rounds,
    timed_problems)
from gpu_clock import ClockSampler, device_limits  # noqa: E402

import pipeir  # noqa: E402
from pipeir.target.spec import GemmConfig  # noqa: E402
from pipeir.tune import describe  # noqa: E402

TORCH_ROWWISE = "torch._scaled_mm rowwise"
PIPEIR_ROWWISE = "pipeir.scaled_mm rowwise"
FUSED = "pipeir rowwise + bias + silu"
PLAIN = "pipeir plain fp8"
PLAIN_AGAIN = "pipeir plain fp8, timed again"
TENSORWISE_GELU = "pipeir tensorwise + gelu"
CUTLASS_PLAIN = "CUTLASS example WS persistent"
CUTLASS_GELU = "CUTLASS example fp8 scale + gelu"
QUACK = "quack gemm fp8, tuned"
SCALE_A, SCALE_B = 0.75, 1.25
"""The tensorwise + gelu kernels' scales (CUTLASS's example takes their product)."""
MAX_RELATIVE_ERROR = 5e-3


def steps_for(m: int, n: int, k: int, sets, cutlass_examples: str | None = None, quack: bool = False,
              static_only: bool = False):
    """label -> (call(a, b) with b (N, K) row-major, reference(a, b) in float32)."""
    one = torch.ones((), device="cuda")
    scale_a, scale_b, bias, out, rowwise_step = rowwise_fp8_operands(m, n)
    config = GemmConfig(m=m, n=n, k=k, dtype="f8e4m3")
    plain = pipeir.compile(config, tune=True)
    fused = pipeir.compile(GemmConfig(m=m, n=n, k=k, dtype="f8e4m3", scale="rowwise", bias=True, activation="silu"),
                           tune=True)
    gelu = pipeir.compile(GemmConfig(m=m, n=n, k=k, dtype="f8e4m3", scale="tensorwise", activation="gelu"),
                          tune=True)
    tensor_scale_a = torch.full((1,), SCALE_A, device="cuda")
    tensor_scale_b = torch.full((1,), SCALE_B, device="cuda")

    def product(a, b):
        return a.float() @ b.float().t()

    steps = {
        TORCH_ROWWISE: (rowwise_step, lambda a, b: product(a, b) * scale_a * scale_b),
        "torch._scaled_mm tensorwise": (lambda a, b: torch._scaled_mm(a, b.t(), one, one, out_dtype=torch.bfloat16),
                                        product),
        PIPEIR_ROWWISE: (lambda a, b: pipeir.scaled_mm(a, b.t(), scale_a, scale_b, tune=True),
                         lambda a, b: product(a, b) * scale_a * scale_b),
        "pipeir.scaled_mm tensorwise": (lambda a, b: pipeir.scaled_mm(a, b.t(), one, one, tune=True), product),
        FUSED: fused_fp8_step(fused, fused.config, scale_a, scale_b, bias, out),
        PLAIN: (lambda a, b: plain(a, b, out), product),
        TENSORWISE_GELU: (lambda a, b: gelu(a, b, out, scale_a=tensor_scale_a, scale_b=tensor_scale_b),
                          lambda a, b: torch.nn.functional.gelu(product(a, b) * (SCALE_A * SCALE_B))),
    }
    if static_only:
        del steps[PIPEIR_ROWWISE], steps["pipeir.scaled_mm tensorwise"]
    twins = {}
    """fused label -> the label of the plain kernel of its configuration"""
    for label, kernel in ((FUSED, fused), (TENSORWISE_GELU, gelu)):
        if kernel.config.mainloop == plain.config:
            twins[label] = PLAIN
        else:
            twins[label] = f"pipeir plain fp8 of {label}'s configuration"
            twin = pipeir.compile(kernel.config.mainloop, tune=False)
            steps[twins[label]] = (lambda a, b, twin=twin: twin(a, b, out), product)
    if cutlass_examples:
        references = {CUTLASS_PLAIN: product,
                      CUTLASS_GELU: lambda a, b: torch.nn.functional.gelu(product(a, b) * (SCALE_A * SCALE_B))}
        found = example_calls(cutlass_examples, sets, out, labels=tuple(references), scale=SCALE_A * SCALE_B)
        # the examples return nothing: their product is `out`
        steps.update({label: (lambda a, b, call=call: (call(a, b), out)[1], references[label])
                      for label, call in found.items()})
    if quack:
        from quack.gemm_interface import gemm as quack_gemm

        steps[QUACK] = (lambda a, b: quack_gemm(a, b.t(), out=out, tuned=True), product)
    try:
        a, b = sets[0]
        torch._scaled_mm(a, b.t(), scale_a, scale_b, bias=bias, out_dtype=torch.bfloat16)
    except RuntimeError as error:
        print(f"torch._scaled_mm rowwise with bias: not supported by torch {torch.__version__} "
              f"({str(error).splitlines()[0]})", flush=True)
    else:
        steps["torch._scaled_mm rowwise + bias"] = (
            lambda a, b: torch._scaled_mm(a, b.t(), scale_a, scale_b, bias=bias, out_dtype=torch.bfloat16),
            lambda a, b: product(a, b) * scale_a * scale_b + bias.float())
    chosen = "; ".join(f"{label}: {describe(kernel.config)}"
                       for label, kernel in ((PLAIN, plain), (FUSED, fused), (TENSORWISE_GELU, gelu)))
    return steps, out, chosen, twins


def bench(m: int, n: int, k: int, rounds: int, sampler: ClockSampler, rows: list[dict], timer,
          cutlass_examples: str | None = None, quack: bool = False, static_only: bool = False) -> None:
    problem = f"{m}x{n}x{k}"
    sets = input_sets(m, n, k, "f8e4m3")
    steps, out, chosen, twins = steps_for(m, n, k, sets, cutlass_examples, quack, static_only)
    print(f"{problem}: pipeir configuration {chosen}", flush=True)
    calls = {label: call for label, (call, reference) in steps.items()
             if checked(label, call, reference, sets, out, MAX_RELATIVE_ERROR)}
    if PLAIN in calls:
        calls[PLAIN_AGAIN] = calls[PLAIN]
    times = shuffled_rounds(problem, calls, sets, rounds, sampler, timer)
    medians = {label: statistics.median(samples) for label, samples in times.items()}
    for label, samples in times.items():
        ms = medians[label]
        rows.append(dict(
            problem=problem, kernel=label, ms=ms, tflops=2 * m * n * k / ms / 1e9,
            vs_rowwise=medians[TORCH_ROWWISE] / ms if TORCH_ROWWISE in medians else None,
            vs_plain=medians[PLAIN] / ms if PLAIN in medians else None,
            spread=(max(samples) - min(samples)) / ms, clock_label=f"{problem} {label}", config=chosen,
            twin=twins.get(label)))
        print(f"{problem} {label}: {rows[-1]['tflops']:.0f} TFLOP/s", flush=True)


def ratio(value) -> str:
    return f"{value:.3f}x" if value else "-"


def table(rows: list[dict]) -> str:
    lines = [
        "| problem | kernel | ms | TFLOP/s | vs _scaled_mm rowwise | vs pipeir plain | spread | SM clock (MHz) | power (W) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        clock = r["clock"]
        lines.append(
            f"| {r['problem']} | {r['kernel']} | {r['ms']:.4f} | {r['tflops']:.0f} | {ratio(r['vs_rowwise'])} | "
            f"{ratio(r['vs_plain'])} | {100 * r['spread']:.1f}% | "
            + (f"{clock['mhz']:.0f} | {clock['watts']:.0f} |" if clock else "n/a | n/a |"))
    return "\n".join(lines)


def verdicts(rows: list[dict]) -> list[str]:
    """The issue's targets, one line each, from the measured medians."""
    lines = []
    by = {(r["problem"], r["kernel"]): r for r in rows}
    for problem in dict.fromkeys(r["problem"] for r in rows):
        target = 1.15 if problem == "4096x4096x4096" else 1.10
        ours = by.get((problem, PIPEIR_ROWWISE))
        if ours and ours["vs_rowwise"]:
            lines.append(f"{problem}: pipeir.scaled_mm rowwise {ours['vs_rowwise']:.3f}x torch._scaled_mm rowwise "
                         f"(target >= {target:.2f}x): {'met' if ours['vs_rowwise'] >= target else 'NOT met'}")
        fused = by.get((problem, FUSED))
        twin = fused and by.get((problem, fused["twin"]))
        if twin:
            cost = fused["ms"] / twin["ms"] - 1
            lines.append(f"{problem}: fused rowwise + bias + silu costs {100 * cost:+.1f}% over the plain kernel "
                         f"of its configuration (target <= 3%): {'met' if cost <= 0.03 else 'NOT met'}")
        gelu = by.get((problem, TENSORWISE_GELU))
        for fused_label, plain_label in ((TENSORWISE_GELU, gelu and gelu["twin"]), (CUTLASS_GELU, CUTLASS_PLAIN)):
            fused, twin = by.get((problem, fused_label)), by.get((problem, plain_label))
            if fused and twin:
                lines.append(f"{problem}: {fused_label} costs {100 * (fused['ms'] / twin['ms'] - 1):+.1f}% over "
                             f"{plain_label}")
        for peer in (CUTLASS_PLAIN, QUACK):
            row = by.get((problem, peer))
            if row and row["vs_rowwise"]:
                lines.append(f"{problem}: peer {peer} (plain fp8) {row['vs_rowwise']:.3f}x torch._scaled_mm rowwise")
    return lines


def arguments(parser) -> None:
    parser.add_argument("--cutlass-examples", metavar="CUTLASS_DIR", default=None,
                        help="time CUTLASS's CuTe DSL Hopper examples from this checkout beside pipeir")
    parser.add_argument("--quack", action="store_true",
                        help="time quack-kernels' tuned GEMM beside pipeir (quack must be installed)")
    parser.add_argument("--static-only", action="store_true",
                        help="leave pipeir.scaled_mm out (and the tuning of its dynamic-M buckets)")


def main() -> None:
    args = problem_arguments(__doc__, rounds=5, add_arguments=arguments)
    with_peers = functools.partial(bench, cutlass_examples=args.cutlass_examples, quack=args.quack,
                                   static_only=args.static_only)
    rows = timed_problems(with_peers, args.shapes, args.rounds, TIMERS[args.timer])
    limits = device_limits()
    configs = "; ".join(dict.fromkeys(f"{r['problem']}: {r['config']}" for r in rows))
    text = (
        f"Measured {datetime.date.today()} on {torch.cuda.get_device_name()} in one process "
        f"(torch {torch.__version__}); nvidia-smi: {', '.join(f'{f} {v}' for f, v in limits.items())}. "
        f"{args.timer} medians over {args.rounds} shuffled rounds, random fp8 e4m3 inputs rotating over > L2, "
        f"bf16 output. pipeir configurations (tuned): {configs}.\n\n"
        + table(rows) + "\n\n" + "\n".join(f"- {line}" for line in verdicts(rows)) + "\n"
    )
    if args.out:
        args.out.write_text(text)
    if os.environ.get("OUT"):
        Path(os.environ["OUT"], "epilogue.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
