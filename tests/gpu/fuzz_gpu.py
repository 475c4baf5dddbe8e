"""GPU differential fuzzing: random GEMM cases against a float32 reference.

    python tests/gpu/fuzz_gpu.py --cases 1000 --seed 0 --out DIR [--workers 1] [--jobs N]
    python tests/gpu/fuzz_gpu.py --seed 0 --case 17 [--case 40 ...]    # rerun cases
    python tests/gpu/fuzz_gpu.py --cases 1000 --seed 0 --out DIR --memcheck 8

Case i depends only on (seed, i). It runs one kernel of a fixed pool (`kernel_pool`:
every operand dtype lowered, both B layouts for 16-bit types, every cluster shape,
three tiles, both raster orders, shallow and deep rings, the naive and the
headline-pipeline form, and both consumers: `mma_in_flight` 1, overlapping, and 0,
serial) at sizes M, N, K in 1..5000 drawn around the
kernel's tile (1, tile-1, tile, tile+1, 2*tile+-1, random): mostly dynamic-shape
kernels, which serve every size, and a few static ones (a compile each), whose
sizes come from the seed. About one case in ten has rows that TMA cannot move
(K, or N, not a multiple of 16 bytes); the kernel must reject those with a
ValueError before launching anything.

Each case fills the output with NaN, runs the kernel, and compares it with a
float32 product of the same operands (pipeir.tune.reference_product and
relative_error: the Frobenius-relative error, NaN fails). The tolerance is the
unit roundoff of the output type plus 4 * K * 2^-24 for the order of the float32
accumulation (`tolerance`).

Every kernel is compiled first, in parallel (pipeir.tune.prepare_all, into
pipeir's object cache); then worker processes (`--worker`) run the cases and
load each kernel from the cache once. A worker whose CUDA context faulted exits,
one that dies or hangs (--case-timeout) is killed; either way the case is
reported as a fault with its seed and index and a fresh worker takes the next
case. After --max-faults faults the run stops (a bug that faults every case
would otherwise spend minutes restarting workers).

Prints (and writes to DIR/summary.md) a table of cases, wrong results, faults,
expected and unexpected rejections, compile errors and seconds per dtype, then
the first failures with the command that reruns each; DIR/results.jsonl has
every case. Exit status 0 when nothing failed, 1 otherwise.

--memcheck N runs N sampled cases of moderate size (M*N*K <= 2^30) inside one
process under `compute-sanitizer --tool memcheck` and again under
`--tool racecheck`, after the normal run, and reports each tool's error summary
(logs in DIR/memcheck.log and DIR/racecheck.log).
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import random
import re
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from pipeir.passes import HEADLINE_PIPELINE
from pipeir.target.spec import GemmConfig, config_from_json, config_to_json

HERE = Path(__file__).resolve()
MAX_SIZE = 5000
STATIC_SHARE = 0.08
"""Share of the cases that run a static-shape kernel (at its one shape)."""
MISALIGNED_SHARE = 0.1
"""Share of the cases whose K (or N) is left unaligned on purpose: the kernel must reject them."""
TMA_ROW_BYTES = 16
UNIT_ROUNDOFF = {"f16": 2.0**-11, "bf16": 2.0**-8}
"""Of the output types: the largest relative error of rounding a float32 to them."""
FLOAT32_ACCUMULATION = 4 * 2.0**-24
"""Per unit of K: the allowance for a float32 sum in another order than the reference's."""
DTYPE_BYTES = {"f16": 2, "bf16": 2, "f8e4m3": 1}
DEFAULT_CASE_TIMEOUT_S = 60.0
"""One case, including the first load of its kernel in a fresh worker (CUDA context, TVM-FFI)."""
MEMCHECK_MAX_WORK = 2**30
DETAIL_CHARS = 300
"""Of a failure's message in the summary (results.jsonl keeps it whole)."""
FAILING = ("wrong", "fault", "hang", "unexpected-rejection", "accepted-misaligned", "error", "compile-error")
OUTCOMES = ("ok", "rejected", *FAILING)


@dataclass(frozen=True)
class Kernel:
    config: GemmConfig
    passes: tuple[str, ...]

    def describe(self) -> str:
        c = self.config
        shape = "dynamic" if c.m is None else f"static {c.m}x{c.n}x{c.k}"
        tm, tn, tk = c.tile_shape
        cm, cn = c.cluster_shape
        form = "headline" if self.passes == tuple(HEADLINE_PIPELINE) else ("naive" if not self.passes else "+".join(self.passes))
        return (f"{c.dtype} b_major={c.b_major} tile {tm}x{tn}x{tk} cluster {cm}x{cn} raster {c.raster_order} "
                f"stages {c.stage_count} mma_in_flight={c.mma_in_flight} {form} {shape}")


@dataclass(frozen=True)
class Case:
    seed: int
    index: int
    kernel: Kernel
    m: int
    n: int
    k: int

    @property
    def dtype(self) -> str:
        return self.kernel.config.dtype

    @property
    def aligned(self) -> bool:
        return tma_aligned(self.kernel.config, self.n, self.k)

    def to_json(self) -> dict:
        return {"seed": self.seed, "index": self.index, "m": self.m, "n": self.n, "k": self.k,
                "config": config_to_json(self.kernel.config), "passes": list(self.kernel.passes)}

    @staticmethod
    def from_json(fields: dict) -> Case:
        kernel = Kernel(config_from_json(fields["config"]), tuple(fields["passes"]))
        return Case(fields["seed"], fields["index"], kernel, fields["m"], fields["n"], fields["k"])


def tma_aligned(config: GemmConfig, n: int, k: int) -> bool:
    """Whether every operand's rows are whole 16-byte units (what GemmKernel checks)."""
    size = DTYPE_BYTES[config.dtype]
    c_size = 2
    return (k * size) % TMA_ROW_BYTES == 0 and (n * c_size) % TMA_ROW_BYTES == 0 and (
        config.b_major == "k" or (n * size) % TMA_ROW_BYTES == 0)


def tolerance(c_dtype: str, k: int) -> float:
    return UNIT_ROUNDOFF[c_dtype] + FLOAT32_ACCUMULATION * k


def dynamic(dtype, b_major="k", cluster=(1, 1), tile=None, raster="m", stages=None, mma_in_flight=1,
            passes=HEADLINE_PIPELINE, raster_group=None) -> Kernel:
    config = GemmConfig(m=None, n=None, k=None, dtype=dtype, b_major=b_major, cluster=cluster, tile=tile,
                        raster=raster, raster_group=raster_group, stages=stages, mma_in_flight=mma_in_flight)
    return Kernel(config, tuple(passes))


DYNAMIC_KERNELS = (
    dynamic("bf16"),
    dynamic("bf16", cluster=(2, 1), mma_in_flight=0),
    dynamic("bf16", "mn", (1, 2), (128, 128, 64)),
    dynamic("bf16", "k", (2, 2), (256, 128, 64), raster="n"),
    dynamic("bf16", "k", (1, 1), (128, 128, 64), stages=2, raster_group=3),
    dynamic("bf16", "k", (2, 1), None, passes=()),
    dynamic("f16", "k", (1, 1), (128, 128, 64), mma_in_flight=0),
    dynamic("f16", "mn", (2, 1)),
    dynamic("f16", "k", (1, 2), (128, 64, 64), raster="n", raster_group=8),
    dynamic("f16", "mn", (2, 2), (128, 256, 64), raster="n", mma_in_flight=0),
    dynamic("f16", "k", (1, 1), (128, 128, 64), stages=1, mma_in_flight=0),
    dynamic("f16", "mn", (1, 2), (128, 128, 64), passes=()),
    dynamic("f8e4m3", "k"),
    dynamic("f8e4m3", "k", (2, 1), (128, 128, 128), mma_in_flight=0),
    dynamic("f8e4m3", "k", (1, 2), (256, 128, 128), raster="n"),
    dynamic("f8e4m3", "k", (2, 2), (128, 256, 128), passes=()),
)
STATIC_TEMPLATES = (
    dynamic("bf16", "k", (2, 1)),
    dynamic("f16", "mn", (1, 1), (128, 128, 64), mma_in_flight=0),
    dynamic("f8e4m3", "k", (1, 2), (128, 128, 128)),
    dynamic("bf16", "mn", (2, 2), (128, 128, 64), raster="n"),
)
"""Static-shape kernels: these configurations at sizes drawn from the seed."""


def draw_size(rng: random.Random, tile: int) -> int:
    """1, around one or two tiles, or anything up to MAX_SIZE."""
    choices = (1, tile - 1, tile, tile + 1, 2 * tile - 1, 2 * tile + 1, rng.randint(1, MAX_SIZE),
               rng.randint(1, MAX_SIZE // tile) * tile + rng.choice((-1, 0, 1)))
    return min(max(rng.choice(choices), 1), MAX_SIZE)


def align_up(size: int, unit: int) -> int:
    aligned = -(-size // unit) * unit
    return aligned if aligned <= MAX_SIZE else MAX_SIZE // unit * unit


def draw_shape(rng: random.Random, config: GemmConfig, misaligned: bool) -> tuple[int, int, int]:
    tm, tn, tk = config.tile_shape
    m, n, k = draw_size(rng, tm), draw_size(rng, tn), draw_size(rng, tk)
    if misaligned:
        return m, n, k
    k = align_up(k, TMA_ROW_BYTES // DTYPE_BYTES[config.dtype])
    n_unit = TMA_ROW_BYTES // 2 if config.b_major == "k" else TMA_ROW_BYTES // DTYPE_BYTES[config.dtype]
    return m, align_up(n, n_unit), k


def static_kernels(seed: int) -> tuple[Kernel, ...]:
    rng = random.Random(f"{seed}:static")
    kernels = []
    for template in STATIC_TEMPLATES:
        m, n, k = draw_shape(rng, template.config, misaligned=False)
        kernels.append(replace(template, config=replace(template.config, m=m, n=n, k=k)))
    return tuple(kernels)


def kernel_pool(seed: int) -> tuple[Kernel, ...]:
    return DYNAMIC_KERNELS + static_kernels(seed)


def make_case(seed: int, index: int) -> Case:
    rng = random.Random(f"{seed}:{index}")
    if rng.random() < STATIC_SHARE:
        kernel = rng.choice(static_kernels(seed))
        config = kernel.config
        return Case(seed, index, kernel, config.m, config.n, config.k)
    kernel = rng.choice(DYNAMIC_KERNELS)
    m, n, k = draw_shape(rng, kernel.config, misaligned=rng.random() < MISALIGNED_SHARE)
    return Case(seed, index, kernel, m, n, k)


# --------------------------------------------------------------------------------------
# One case on the GPU (inside a worker or an inline run)
# --------------------------------------------------------------------------------------

class DeviceFault(Exception):
    """The CUDA context is no longer usable: the worker must exit."""


def is_device_fault(error: BaseException) -> bool:
    text = str(error).lower()
    return "cuda error" in text or "illegal" in text or type(error).__name__ == "AcceleratorError"


class CaseRunner:
    """Runs cases on the current GPU, compiling (loading) each kernel once."""

    def __init__(self):
        import torch

        torch.backends.cuda.matmul.allow_tf32 = False  # the reference is a true float32 product
        self.torch = torch
        self.kernels: dict[Kernel, object] = {}

    def kernel(self, kernel: Kernel):
        if kernel not in self.kernels:
            from pipeir.compiler import compile_kernel

            self.kernels[kernel] = compile_kernel(kernel.config, kernel.passes)
        return self.kernels[kernel]

    def context_usable(self) -> bool:
        """Whether the GPU still runs work: after a fault every CUDA call fails, so a
        failure worded in a way is_device_fault does not know is caught here."""
        try:
            return self.torch.ones(1, device="cuda").sum().item() == 1.0
        except Exception:
            return False

    def operands(self, case: Case, c_dtype):
        from pipeir.runtime.objects import TORCH_DTYPES

        torch = self.torch
        generator = torch.Generator(device="cuda").manual_seed(case.seed * 1_000_003 + case.index)
        dtype = TORCH_DTYPES[case.dtype]

        def random(rows: int, cols: int):
            return torch.randn(rows, cols, device="cuda", generator=generator).to(dtype)

        a = random(case.m, case.k)
        b = random(case.n, case.k) if case.kernel.config.b_major == "k" else random(case.k, case.n)
        c = torch.empty(case.m, case.n, device="cuda", dtype=c_dtype)
        return a, b, c

    def run(self, case: Case) -> dict:
        from pipeir.tune import reference_product, relative_error

        try:
            kernel = self.kernel(case.kernel)
            operands = self.operands(case, kernel.c_dtype)
            reference = reference_product(operands, case.kernel.config.b_major)
            try:
                error = relative_error(kernel, operands, reference)
            except ValueError as rejection:  # GemmKernel's checks, before any launch
                outcome = "rejected" if not case.aligned else "unexpected-rejection"
                return {"outcome": outcome, "detail": str(rejection)}
            self.torch.cuda.synchronize()
        except Exception as failure:
            if is_device_fault(failure) or not self.context_usable():
                raise DeviceFault(f"{type(failure).__name__}: {failure}") from failure
            return {"outcome": "error", "detail": f"{type(failure).__name__}: {failure}"}
        allowed = tolerance(case.kernel.config.c_dtype, case.k)
        if not case.aligned:
            outcome = "accepted-misaligned"
        else:
            outcome = "ok" if error <= allowed else "wrong"  # NaN is wrong
        return {"outcome": outcome, "relative_error": error, "tolerance": allowed}


def worker_main() -> int:
    """Reads one case (JSON) per line on stdin, answers one result per line. A device
    fault is answered, then the worker exits with status 3: its context is gone."""
    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # whatever CuTe DSL or torch print must not mix with the answers
    runner = CaseRunner()
    for line in sys.stdin:
        case = Case.from_json(json.loads(line))
        started = time.perf_counter()
        try:
            result = runner.run(case)
        except DeviceFault as fault:
            protocol.write(json.dumps({"outcome": "fault", "detail": str(fault).splitlines()[0]}) + "\n")
            return 3
        result["seconds"] = round(time.perf_counter() - started, 4)
        protocol.write(json.dumps(result) + "\n")
    return 0


# --------------------------------------------------------------------------------------
# Worker processes that survive device faults
# --------------------------------------------------------------------------------------

class WorkerProcess:
    """One worker subprocess; a reader thread turns its answers into a queue."""

    def __init__(self, command: Sequence[str], log):
        self.process = subprocess.Popen(list(command), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=log, text=True, bufsize=1)
        self.answers: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.answers.put(line)
        self.answers.put(None)  # end of output: the worker exited

    def ask(self, case: Case, timeout: float) -> dict:
        try:
            self.process.stdin.write(json.dumps(case.to_json()) + "\n")
            self.process.stdin.flush()
        except (BrokenPipeError, OSError):
            return {"outcome": "fault", "detail": f"worker had exited (status {self.process.poll()})"}
        try:
            line = self.answers.get(timeout=timeout)
        except queue.Empty:
            self.stop()
            return {"outcome": "hang", "detail": f"no answer in {timeout:.0f} s: worker killed"}
        if line is None:
            status = self.process.wait()
            return {"outcome": "fault", "detail": f"worker died (exit status {status})"}
        try:
            return json.loads(line)
        except ValueError:
            return {"outcome": "error", "detail": f"unreadable answer: {line.strip()[:200]}"}

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if self.alive:
            self.process.kill()
        self.process.wait()

    def close(self) -> None:
        if self.alive:
            self.process.stdin.close()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.stop()


def run_cases(cases: Sequence[Case], command: Sequence[str], workers: int, timeout: float,
              max_faults: int, log_dir: Path, on_result: Callable[[Case, dict], None] = lambda c, r: None,
              ) -> tuple[dict[int, dict], int]:
    """Run `cases` on `workers` worker processes started with `command`; returns the
    result per case index (cases not run after --max-faults are absent) and how many
    workers were started."""
    pending: queue.Queue = queue.Queue()
    for case in cases:
        pending.put(case)
    results: dict[int, dict] = {}
    lock = threading.Lock()
    counts = Counter()

    def serve(slot: int) -> None:
        worker = None
        with open(log_dir / f"worker-{slot}.log", "a") as log:
            while True:
                with lock:
                    if counts["faults"] >= max_faults:
                        break
                try:
                    case = pending.get_nowait()
                except queue.Empty:
                    break
                if worker is None or not worker.alive:
                    worker = WorkerProcess(command, log)
                    with lock:
                        counts["started"] += 1
                result = worker.ask(case, timeout)
                if result["outcome"] in ("fault", "hang"):
                    worker.stop()
                    worker = None
                with lock:
                    results[case.index] = result
                    counts["faults"] += result["outcome"] in ("fault", "hang")
                on_result(case, result)
            if worker is not None:
                worker.close()

    threads = [threading.Thread(target=serve, args=(slot,)) for slot in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, counts["started"]


# --------------------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------------------

def rerun_command(case: Case) -> str:
    return f"python tests/gpu/fuzz_gpu.py --seed {case.seed} --case {case.index}"


def describe_case(case: Case) -> str:
    return f"case {case.index} (seed {case.seed}): {case.m}x{case.n}x{case.k} on {case.kernel.describe()}"


def summarize(cases: Sequence[Case], results: dict[int, dict], seconds: dict[str, float],
              first_failures: int = 10) -> str:
    rows = {}
    for case in cases:
        if case.index not in results:
            continue
        outcome = results[case.index]["outcome"]
        for key in (case.dtype, "all"):
            rows.setdefault(key, Counter())[outcome] += 1
            rows[key]["cases"] += 1
    columns = ("cases", "ok", "wrong", "fault", "hang", "rejected", "unexpected-rejection",
               "accepted-misaligned", "error", "compile-error")
    lines = ["| dtype | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for key in sorted(k for k in rows if k != "all") + ["all"]:
        lines.append(f"| {key} | " + " | ".join(str(rows[key][c]) for c in columns) + " |")
    not_run = len(cases) - len(results)
    lines.append("")
    lines.append(", ".join(f"{name} {value:.1f} s" for name, value in seconds.items())
                 + (f"; {not_run} cases not run (too many faults)" if not_run else ""))
    failed = [case for case in cases if results.get(case.index, {}).get("outcome") in FAILING]
    if failed:
        lines.append("")
        lines.append(f"first {min(first_failures, len(failed))} of {len(failed)} failures:")
        for case in failed[:first_failures]:
            result = results[case.index]
            detail = (result.get("detail") or "").strip().split("\n")[0][:DETAIL_CHARS] or (
                f"relative error {result.get('relative_error')} > {result.get('tolerance')}")
            lines.append(f"- {result['outcome']}: {describe_case(case)}: {detail}")
            lines.append(f"  rerun: {rerun_command(case)}")
    return "\n".join(lines)


def failed(results: dict[int, dict], expected: int) -> bool:
    return len(results) < expected or any(r["outcome"] in FAILING for r in results.values())


# --------------------------------------------------------------------------------------
# compute-sanitizer
# --------------------------------------------------------------------------------------

SANITIZER_TOOLS = {
    "memcheck": ["--tool", "memcheck", "--report-api-errors", "no"],
    "racecheck": ["--tool", "racecheck"],
}
"""API errors are not reported: CuTe DSL probes driver entry points while detecting
the GPU (see tests/gpu/run_all.sh); device memory errors and races are."""
ERROR_SUMMARY = re.compile(r"(ERROR|RACECHECK) SUMMARY: .*")


def sample_for_sanitizer(cases: Sequence[Case], count: int, seed: int) -> list[Case]:
    moderate = [c for c in cases if c.aligned and c.m * c.n * c.k <= MEMCHECK_MAX_WORK]
    return random.Random(f"{seed}:sanitizer").sample(moderate, min(count, len(moderate)))


def run_sanitizers(cases: Sequence[Case], seed: int, out: Path) -> tuple[list[str], bool]:
    """Run `cases` in one process under each tool; returns a line per tool and whether
    every tool exited 0 (no error found and every case right)."""
    indices = ",".join(str(c.index) for c in cases)
    if shutil.which("compute-sanitizer") is None:
        return ["compute-sanitizer not found on PATH (it comes with the CUDA toolkit): nothing checked"], False
    report, clean = [], True
    for tool, flags in SANITIZER_TOOLS.items():
        log = out / f"{tool}.log"
        command = ["compute-sanitizer", *flags, "--error-exitcode", "9", sys.executable, str(HERE),
                   "--seed", str(seed), "--inline", indices]
        started = time.perf_counter()
        with open(log, "w") as stream:
            status = subprocess.run(command, stdout=stream, stderr=subprocess.STDOUT).returncode
        summary = ERROR_SUMMARY.findall(log.read_text())
        clean &= status == 0
        report.append(f"{tool}: {len(cases)} cases, exit status {status}, "
                      f"{summary[-1] if summary else 'no summary line'} "
                      f"({time.perf_counter() - started:.0f} s, log {log})")
    return report, clean


def run_inline(cases: Sequence[Case]) -> int:
    """Run cases in this process (under compute-sanitizer); status 1 if any failed."""
    runner = CaseRunner()
    status = 0
    for case in cases:
        result = runner.run(case)
        print(f"{result['outcome']}: {describe_case(case)} {result.get('relative_error', '')}", flush=True)
        status |= result["outcome"] in FAILING
    return status


# --------------------------------------------------------------------------------------
# The command line
# --------------------------------------------------------------------------------------

def compile_kernels(kernels: Sequence[Kernel], jobs: int) -> dict[Kernel, str | None]:
    from pipeir.tune import compile_in_parallel

    errors = compile_in_parallel([(k.config, k.passes) for k in kernels], jobs)
    return dict(zip(kernels, errors))


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cases", type=int, default=1000, help="number of cases (0..N-1)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--case", type=int, action="append", help="run only this case (repeatable)")
    p.add_argument("--out", type=Path, default=None, help="directory for results.jsonl, summary.md, logs")
    p.add_argument("--workers", type=int, default=1, help="worker processes sharing the GPU")
    p.add_argument("--jobs", type=int, default=None, help="compiler processes (default: CPUs, at most 12)")
    p.add_argument("--case-timeout", type=float, default=DEFAULT_CASE_TIMEOUT_S,
                   help="seconds one case may take before its worker is killed as hung")
    p.add_argument("--max-faults", type=int, default=10, help="stop after this many faults and hangs")
    p.add_argument("--memcheck", type=int, default=0, metavar="N",
                   help="also run N sampled cases under compute-sanitizer memcheck and racecheck")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--inline", default=None, help=argparse.SUPPRESS)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.worker:
        return worker_main()
    if args.inline is not None:
        return run_inline([make_case(args.seed, int(i)) for i in args.inline.split(",")])
    import torch

    from pipeir.tune import default_jobs

    if not torch.cuda.is_available():  # asks the driver; creates no context in this process
        print("fuzz_gpu: error: no CUDA device: the cases run on an sm_90a GPU", file=sys.stderr)
        return 2
    indices = args.case or range(args.cases)
    cases = [make_case(args.seed, index) for index in indices]
    out = args.out or Path(f"fuzz-gpu-seed{args.seed}")
    out.mkdir(parents=True, exist_ok=True)
    seconds = {}

    started = time.perf_counter()
    kernels = list(dict.fromkeys(case.kernel for case in cases))
    compile_errors = compile_kernels(kernels, args.jobs or default_jobs())
    seconds[f"compile {len(kernels)} kernels"] = time.perf_counter() - started
    runnable = [case for case in cases if not compile_errors[case.kernel]]
    results = {case.index: {"outcome": "compile-error", "detail": compile_errors[case.kernel]}
               for case in cases if compile_errors[case.kernel]}

    started = time.perf_counter()
    with open(out / "results.jsonl", "w") as record:
        def write(case: Case, result: dict) -> None:
            record.write(json.dumps({**case.to_json(), **result}) + "\n")
            record.flush()

        for case in cases:
            if case.index in results:
                write(case, results[case.index])
        ran, started_workers = run_cases(
            runnable, [sys.executable, str(HERE), "--worker"], args.workers, args.case_timeout,
            args.max_faults, out, write)
    results.update(ran)
    seconds[f"run {len(ran)} cases ({started_workers} worker starts)"] = time.perf_counter() - started

    report = summarize(cases, results, seconds)
    sanitizers_clean = True
    if args.memcheck:
        lines, sanitizers_clean = run_sanitizers(
            sample_for_sanitizer(runnable, args.memcheck, args.seed), args.seed, out)
        report += "\n\n" + "\n".join(lines)
    print(report)
    (out / "summary.md").write_text(f"seed {args.seed}, {len(cases)} cases\n\n{report}\n")
    return 1 if failed(results, len(cases)) or not sanitizers_clean else 0


if __name__ == "__main__":
    sys.exit(main())
