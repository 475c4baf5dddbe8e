"""`python -m pipeir.tools.fuzz_cli`: a seeded fuzzer for the command lines of pipeir's tools.

Each case is an argument list for one tool: `pipeir-opt`, `pipeir-gen`, `pipeir-stats`
or `pipeir-tune`. Three cases in ten are drawn at random from the tool's flags and a pool
of values (sizes, shapes, pass specs, files: valid IR, IR whose ring protocol
deadlocks, text that is not IR, binary data, an empty file, a directory, a missing
file, an unwritable output path, ...); the others (70%) start from a valid command
line and get 1 to 3 mutations (another value of the same flag, an added flag, a
dropped, duplicated, swapped or inserted argument, any value of the pool, a flag
and its value glued with '=', an argument cut short).
The tool's `main` runs in-process, in a scratch directory, with empty stdin, and
each run is classified:

  ok          exit status 0;
  diagnostic  exit status 1 or 2 and stderr is exactly one error line,
              `file:line:col: error: ...` or `pipeir-<tool>: error: ...` (remark
              lines beside it are allowed), never at `<unknown>`;
  traceback   an exception escaped main(), stderr mentions a Traceback, the exit
              status is not 0, 1 or 2, or a failing run did not print exactly one
              such error line;
  hang        a run took more than --timeout seconds.

Only cheap paths run: `pipeir-stats` gets no kernel it could compile (its kernels
are the failing files of the pool), and `pipeir-tune` never gets `--compile-only`
and sees no GPU (CUDA_VISIBLE_DEVICES is emptied), so it ends at an argument error
or at "needs a CUDA device". Case i depends only on (seed, i); `--case i` reruns it.
The exit status is 1 if any run is a traceback or a hang, else 0.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import re
import shlex
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from random import Random

from pipeir.tools import gen, opt, stats, tune
from pipeir.tools.fuzz import REMARK, Hang

PROG = "pipeir-fuzz-cli"
DEFAULT_TIMEOUT_S = 60.0
MUTATED_FRACTION = 0.7
MAX_MUTATIONS = 3
ERROR_LINE = re.compile(r"^(\S+:\d+:\d+: error: |pipeir-(opt|gen|stats|tune): error: ).+$")
CLASSES = ("ok", "diagnostic", "traceback", "hang")
FAILING = ("traceback", "hang")

VALID_IR = "valid.mlir"
DYNAMIC_IR = "dynamic.mlir"
ODD_NAME_IR = "odd-name.mlir"
ODD_KERNEL_NAME = 'k"""\\'
"""A legal symbol name that is no Python identifier: quotes and a backslash."""
COMPILABLE_IR = (VALID_IR, DYNAMIC_IR, ODD_NAME_IR)
FAILING_FILES = {
    "deadlock.mlir": None,  # valid IR without one commit: written from VALID_IR
    "notes.txt": b"not IR\n",
    "notes.mlir": b"not IR either\n",
    "binary.mlir": b"\xff\xfe\x00garbage",
    "empty.mlir": b"",
    "foreign.py": b"import no_such_module_anywhere\n",
    "plain.py": b"x = 1\n",
    "dir.mlir/": None,  # a directory
}
MISSING = "missing.mlir"
UNWRITABLE = "/proc/pipeir-no-such-dir/out"

SIZES = ("1", "0", "-1", "7", "128", "129", "200", "4096", "dyn", "99999999999999999999", "1e3", "0x10", "²",
         "", " 64", "nan")
SHAPES3 = ("128x256x64", "128x128x64", "256x128x64", "128x256x128", "128x256x0", "0x0x0", "128x256", "1x2x3x4",
           "128X256X64", "axbxc", "128x256x99999999999999999999", "64x64x64")
SHAPES2 = ("1x1", "2x1", "1x2", "2x2", "4x1", "0x1", "2", "x", "99999999999999999999x1")
PROBLEMS = ("4096x4096x4096", "256x256x256", "1x1x1", "0x1x1", "1x1", "-1x2x3", "99999999999999999999x1x1")
PASS_SPECS = ("fold-static-full", "roll-producer", "hoist-rank", "verify-pipeline", "canonicalize", "cse", "dce",
              "fold-static-full,roll-producer,hoist-rank", "nope", "", ",", "roll-producer{x=1}",
              "cse{", "fold-static-full,,hoist-rank")
GARBAGE = ("", "-", "--", "-x", "--nope", "=", "x" * 300, "\u00e9\u00e8", "'", '"', "{", "%s", "-1", "--help=1")


@dataclass(frozen=True)
class Tool:
    name: str
    main: Callable[[Sequence[str]], int]
    flags: dict[str, tuple[str, ...] | None]
    """Each flag and the values it takes (None: a switch)."""
    positionals: tuple[str, ...]
    valid: tuple[tuple[str, ...], ...]
    """Command lines that succeed or fail cleanly without a long compile."""


def tools() -> dict[str, Tool]:
    from pipeir.passes import PASSES

    ir_files = (*COMPILABLE_IR, *FAILING_FILES, MISSING, "-")
    opt_flags = {f"--{name}": None for name in PASSES}
    opt_flags.update({
        "-p": PASS_SPECS, "--passes": PASS_SPECS, "--verify-each": None, "--emit": ("mlir", "cute", "ptx", ""),
        "-t": ("mlir", "cute", "x"), "--pass-statistics": None, "--print-op-generic": None,
        "--split-input-file": None, "-o": ("out.mlir", UNWRITABLE, "dir.mlir/", "-"),
        "--verify-diagnostics": None, "--help": None, "--version": None, "--time-passes": None,
        "--parsing-diagnostics": None, "--disable-verify": None, "--shrink": None,
    })
    gen_flags = {
        "--m": SIZES, "--n": SIZES, "--k": SIZES, "--dtype": ("bf16", "f16", "f8e4m3", "f8e5m2", "f32", "", "half", "FP8", "torch.bfloat16"),
        "--out-dtype": ("f16", "bf16", "f8e4m3", "float16", "e5m2"), "--tile": SHAPES3, "--stages": SIZES, "--cluster": SHAPES2,
        "--raster": ("m", "n", "k"), "--arch": ("sm_90a", "sm_100a", "sm_80"), "--b-major": ("k", "mn", "m"),
        "--no-warp-specialize": None, "--mma-in-flight": ("0", "1", "2", "-1", "x"),
        "--name": ("gemm", "g2", "1bad", 'a"b', "", ODD_KERNEL_NAME),
        "--scale": ("tensorwise", "rowwise", "blockwise"), "--bias": None,
        "--activation": ("relu", "gelu", "gelu_tanh", "silu", "tanh"),
        "-o": ("gen.mlir", UNWRITABLE, "dir.mlir/"), "--help": None,
    }
    stats_files = (*FAILING_FILES, MISSING)
    stats_flags = {"--version": None, "--json": None, "--sass-out": ("sass.txt", UNWRITABLE), "--dump-dir": ("dump", UNWRITABLE),
                   "--arch": ("sm_90a", "sm_100a", "sm_99", ""), "--help": None}
    tune_flags = {"--shape": PROBLEMS, "--dtype": ("bf16", "f16", "f8e4m3", "f8e5m2", "f32", "fp16", "e4m3"),
                  "--progress": None, "--no-progress": None, "--version": None,
                  "--b-major": ("k", "mn", "x"), "--jobs": ("1", "0", "-1", "x", "99999999999999999999"),
                  "--retune": None, "--help": None}
    return {
        "pipeir-opt": Tool("pipeir-opt", opt.main, opt_flags, ir_files, (
            ("--fold-static-full", "--roll-producer", "--hoist-rank", VALID_IR),
            ("--verify-each", "--emit=cute", VALID_IR),
            ("-p", "fold-static-full,roll-producer", "--pass-statistics", DYNAMIC_IR),
            ("--verify-pipeline", "-o", "out.mlir", DYNAMIC_IR),
            ("--emit=cute", ODD_NAME_IR),
        )),
        "pipeir-gen": Tool("pipeir-gen", gen.main, gen_flags, ("gemm",), (
            ("gemm", "--m", "256", "--n", "256", "--k", "200", "--stages", "2"),
            ("gemm", "--dtype", "f8e4m3", "--cluster", "2x2", "--tile", "128x128x128"),
            ("gemm", "--b-major", "mn", "--raster", "n", "-o", "gen.mlir"),
            ("gemm", "--dtype", "f8e4m3", "--scale", "rowwise", "--bias", "--activation", "silu"),
        )),
        "pipeir-stats": Tool("pipeir-stats", stats.main, stats_flags, stats_files, (
            ("deadlock.mlir", "--json"),
            ("notes.txt",),
            ("foreign.py", "--arch", "sm_90a"),
        )),
        "pipeir-tune": Tool("pipeir-tune", tune.main, tune_flags, (), (
            ("--shape", "256x256x256"),
            ("--shape", "4096x4096x4096", "--dtype", "f16", "--b-major", "mn", "--jobs", "2"),
        )),
    }


def random_arguments(tool: Tool, rng: Random) -> list[str]:
    arguments: list[str] = []
    for _ in range(rng.randint(0, 5)):
        flag = rng.choice(list(tool.flags))
        if flag == "--help" and rng.random() < 0.8:
            continue  # help says the same thing every time: keep it rare
        arguments.append(flag)
        values = tool.flags[flag]
        if values is not None and rng.random() < 0.95:
            arguments.append(rng.choice(values))
    if tool.positionals and rng.random() < 0.9:
        arguments.insert(rng.randint(0, len(arguments)), rng.choice(tool.positionals))
    return arguments


def value_pool(tool: Tool) -> list[str]:
    values = {value for choices in tool.flags.values() if choices for value in choices}
    return sorted(values | set(tool.positionals) | set(GARBAGE) | set(tool.flags))


def mutate(arguments: list[str], tool: Tool, rng: Random) -> tuple[list[str], str]:
    arguments = list(arguments)
    kinds = ["replace-value", "replace-value", "add-flag", "replace", "drop", "duplicate", "swap", "join",
             "truncate", "insert"]
    kind = rng.choice(kinds)
    if not arguments:
        kind = "add-flag"
    position = rng.randrange(len(arguments)) if arguments else 0
    values_of = [i for i in range(1, len(arguments)) if tool.flags.get(arguments[i - 1])]
    if kind == "replace-value" and values_of:  # another value of the same flag: one mistake at a time
        position = rng.choice(values_of)
        arguments[position] = rng.choice(tool.flags[arguments[position - 1]])
    elif kind in ("add-flag", "replace-value"):
        kind = "add-flag"
        flag = rng.choice([f for f in tool.flags if f != "--help"])
        # At the end: between a flag and its value it would be two mistakes, not one.
        arguments += [flag, rng.choice(tool.flags[flag])] if tool.flags[flag] else [flag]
    elif kind == "replace":
        arguments[position] = rng.choice(value_pool(tool))
    elif kind == "drop":
        del arguments[position]
    elif kind == "duplicate":
        arguments.insert(position, arguments[position])
    elif kind == "swap":
        other = rng.randrange(len(arguments))
        arguments[position], arguments[other] = arguments[other], arguments[position]
    elif kind == "join" and position + 1 < len(arguments):
        arguments[position:position + 2] = [f"{arguments[position]}={arguments[position + 1]}"]
    elif kind == "truncate":
        arguments[position] = arguments[position][: rng.randint(0, len(arguments[position]))]
    else:
        arguments.insert(position, rng.choice(value_pool(tool)))
    return arguments, kind


def cheap(tool: Tool, arguments: Sequence[str]) -> bool:
    """Whether the run stays off long compiles: pipeir-stats gets no kernel it could
    compile, pipeir-tune is never --compile-only."""
    if tool.name == "pipeir-stats":
        return not any(a.endswith(COMPILABLE_IR) for a in arguments)
    if tool.name == "pipeir-tune":
        return not any(a.startswith("--c") for a in arguments)  # argparse takes any prefix of --compile-only
    return True


@dataclass(frozen=True)
class Case:
    index: int
    tool: str
    arguments: tuple[str, ...]
    mutations: tuple[str, ...]

    def command(self) -> str:
        return shlex.join([self.tool, *self.arguments])


def make_case(seed: int, index: int, every_tool: dict[str, Tool]) -> Case:
    rng = Random(f"{seed}:{index}")
    tool = every_tool[rng.choice(sorted(every_tool))]
    while True:
        mutations: list[str] = []
        if rng.random() < MUTATED_FRACTION:
            arguments = list(rng.choice(tool.valid))
            for _ in range(rng.choice((1, 1, 2, MAX_MUTATIONS))):
                arguments, kind = mutate(arguments, tool, rng)
                mutations.append(kind)
        else:
            arguments = random_arguments(tool, rng)
        if cheap(tool, arguments):
            return Case(index, tool.name, tuple(arguments), tuple(mutations))


@dataclass
class Run:
    case: Case
    klass: str
    status: int | None
    stderr: str
    detail: str
    seconds: float


def classify(status: int | None, stderr: str, exception: str) -> tuple[str, str]:
    if exception:
        return "traceback", exception
    if "Traceback" in stderr:
        return "traceback", "stderr holds a traceback"
    if status not in (0, 1, 2):
        return "traceback", f"exit status {status!r}"
    if status == 0:
        return "ok", ""
    errors = [line for line in stderr.splitlines() if not REMARK.match(line)]
    if len(errors) == 1 and ERROR_LINE.match(errors[0]) and "<unknown>" not in errors[0]:
        return "diagnostic", ""
    return "traceback", f"exit status {status} without exactly one located or one-line error ({len(errors)} lines)"


def _on_alarm(signum: int, frame: object) -> None:
    raise Hang("wall-clock")


def run_case(case: Case, tool: Tool, scratch: Path, timeout: float) -> Run:
    out, err = io.StringIO(), io.StringIO()
    stdin = io.TextIOWrapper(io.BytesIO(b""))
    status: int | None = None
    exception = ""
    previous = os.getcwd()
    started = time.perf_counter()
    os.chdir(scratch)
    saved_stdin, sys.stdin = sys.stdin, stdin
    signal.signal(signal.SIGALRM, _on_alarm)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            signal.setitimer(signal.ITIMER_REAL, timeout)
            try:
                status = tool.main(list(case.arguments))
            except SystemExit as exit_:  # argparse and the tools' fail()
                status = exit_.code if isinstance(exit_.code, int) or exit_.code is None else 1
                status = 0 if status is None else status
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
    except Hang:
        return Run(case, "hang", None, err.getvalue(), f"no exit in {timeout:.0f} s",
                   time.perf_counter() - started)
    except KeyboardInterrupt:
        raise
    except BaseException:  # xDSL's ArgSpecParseError is not an Exception
        exception = traceback.format_exc()
    finally:
        sys.stdin = saved_stdin
        os.chdir(previous)
    klass, detail = classify(status, err.getvalue(), exception)
    return Run(case, klass, status, err.getvalue(), detail, time.perf_counter() - started)


def write_inputs(scratch: Path) -> None:
    """The files the argument pools name, in the scratch directory."""
    from pipeir.build import gemm
    from pipeir.target.spec import GemmConfig

    valid = str(gemm(GemmConfig(m=256, n=256, k=200, stages=2, tile=(128, 128, 64)))) + "\n"
    (scratch / VALID_IR).write_text(valid)
    (scratch / DYNAMIC_IR).write_text(str(gemm(GemmConfig(m=None, n=None, k=None, stages=3))) + "\n")
    odd_name = GemmConfig(m=256, n=256, k=256, stages=2, name=ODD_KERNEL_NAME)
    (scratch / ODD_NAME_IR).write_text(str(gemm(odd_name)) + "\n")
    lines = valid.splitlines(keepends=True)
    first_commit = next(i for i, line in enumerate(lines) if "pipe.commit" in line)
    (scratch / "deadlock.mlir").write_text("".join(lines[:first_commit] + lines[first_commit + 1:]))
    for name, data in FAILING_FILES.items():
        if name.endswith("/"):
            (scratch / name).mkdir()
        elif data is not None:
            (scratch / name).write_bytes(data)


@dataclass
class Summary:
    runs: Counter
    per_tool: dict[str, Counter]
    failures: list[Run]
    seconds: float

    def report(self) -> str:
        total = sum(self.runs.values())
        lines = [f"{total} runs in {self.seconds:.1f} s: "
                 + ", ".join(f"{self.runs[c]} {c}" for c in CLASSES)]
        for name, counts in sorted(self.per_tool.items()):
            lines.append(f"  {name}: " + ", ".join(f"{counts[c]} {c}" for c in CLASSES))
        for run in self.failures[:10]:
            lines.append(f"case {run.case.index} ({run.klass}): {run.case.command()}")
            lines.append("  " + run.detail.strip().splitlines()[-1] if run.detail.strip() else "")
        return "\n".join(lines)


def fuzz(count: int, seed: int, timeout: float = DEFAULT_TIMEOUT_S, indices: Sequence[int] | None = None,
         progress: Callable[[Run], None] = lambda run: None) -> Summary:
    os.environ["CUDA_VISIBLE_DEVICES"] = ""  # pipeir-tune must not time anything
    os.environ.setdefault("PIPEIR_CACHE_DIR", tempfile.mkdtemp(prefix="pipeir-fuzz-cli-cache-"))
    every_tool = tools()
    runs, per_tool, failures = Counter(), {}, []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="pipeir-fuzz-cli-") as directory:
        inputs = Path(directory, "inputs")
        inputs.mkdir()
        write_inputs(inputs)
        for index in (indices if indices is not None else range(count)):
            case = make_case(seed, index, every_tool)
            # A fresh copy per case: an `-o` may overwrite an input, and case i must
            # not depend on the cases before it.
            scratch = Path(directory, f"case-{index}")
            shutil.copytree(inputs, scratch)
            run = run_case(case, every_tool[case.tool], scratch, timeout)
            shutil.rmtree(scratch)
            runs[run.klass] += 1
            per_tool.setdefault(case.tool, Counter())[run.klass] += 1
            if run.klass in FAILING:
                failures.append(run)
            progress(run)
    return Summary(runs, per_tool, failures, time.perf_counter() - started)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000, help="number of cases (default 1000)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the case generator (default 0)")
    parser.add_argument("--case", type=int, action="append", help="run only case I (repeatable)")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S,
                        help=f"seconds a run may take before it counts as a hang (default {DEFAULT_TIMEOUT_S:.0f})")
    parser.add_argument("--quiet", action="store_true", help="print only the summary")
    parser.add_argument("--verbose", action="store_true", help="print every run's command and class")
    args = parser.parse_args(argv)

    def progress(run: Run) -> None:
        if args.verbose or (run.klass in FAILING and not args.quiet):
            print(f"case {run.case.index}: {run.klass} {run.status} {run.case.command()}", flush=True)
            if run.klass in FAILING:
                print(run.detail, flush=True)

    summary = fuzz(args.count, args.seed, args.timeout, args.case, progress)
    print(summary.report())
    return 1 if summary.failures else 0


if __name__ == "__main__":
    sys.exit(main())
