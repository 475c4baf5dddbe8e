"""`python -m pipeir.tools.fuzz`: a seeded fuzzer for `pipeir-opt`.

Each case starts from a valid builder kernel (`pipeir.build.gemm` with random
options), optionally runs some passes on it, prints it, and applies 1 to 3
random text mutations (about a fifth of the cases stay unmutated). The driver
(`pipeir.tools.opt.main`) then runs in-process on the text with one or two pass
pipelines from `PIPELINES`, and every run is classified:

  ok          exit status 0, stderr holds only remarks, and the printed IR
              parses and verifies again;
  diagnostic  exit status 1 or 2 and stderr is exactly one error line,
              `file:line:col: error: ...` or `pipeir-opt: error: ...`
              (remark lines beside it are allowed);
  traceback   an exception escaped main(), stderr mentions a Traceback, the
              exit status is not 0, 1 or 2, or a failing run did not print
              exactly one error line (SystemExit, which the driver's `fail`
              uses for bad command lines, counts as its exit status);
  bad-output  exit status 0, but the printed IR does not parse and verify
              again, or stderr holds something other than remarks;
  hang        a run used more than --timeout seconds of CPU time (60 by
              default, more than the simulator's own runaway-loop guard
              needs to stop a loop: see DEFAULT_TIMEOUT_S), or more than
              WALL_FACTOR times that in wall-clock time.

An unmutated case must be ok with every pipeline. A mutated case that a run
with verify-pipeline accepts with K dynamic is verified again with K static at
every k-tile count 1..2S+2, whole and with a tail (recheck_at_static_k): it
must pass at each. The exit status is 1 if any run is a traceback, bad-output
or hang, an unmutated case fails, or such a re-verification rejects, else 0.
Case i depends only on (seed, i): `--case i` reruns it alone, and the
result does not depend on --jobs. Failures are written to --failures-dir as
`case-NNNNN.mlir` (the exact input) and `case-NNNNN.txt` (how it was made,
the command line, the output).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import multiprocessing
import os
import re
import signal
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from random import Random

from xdsl.dialects.builtin import DenseArrayBase, i64

from pipeir.analysis.interp import kernel_of
from pipeir.analysis.protocol import max_k_tiles, verify_kernel
from pipeir.tools import opt
from pipeir.build import gemm
from pipeir.target import Activation, Scale, target_for
from pipeir.target.base import dtype_bytes
from pipeir.target.spec import GemmConfig
from pipeir.dialects import pipe
from pipeir.ir import PipeirError, make_context, parse_module, verify_located
from pipeir.passes import PASSES, run_passes

PROG = "pipeir-fuzz"

PIPELINES: tuple[tuple[str, ...], ...] = (
    (),
    ("--fold-static-full",),
    ("--roll-producer",),
    ("--hoist-rank",),
    ("--fold-static-full", "--roll-producer", "--hoist-rank"),
    ("--verify-pipeline",),
    ("--fold-static-full", "--roll-producer", "--hoist-rank", "--verify-each"),
    ("--fold-static-full", "--roll-producer", "--hoist-rank", "--place-epilogue-loads"),
    ("--canonicalize", "--cse"),
    ("--dce",),
    ("-p", "fold-static-full,roll-producer,hoist-rank,verify-pipeline"),
)
"""The command lines (less the input file) a case's text is run with."""

PREPASSES: tuple[tuple[str, ...], ...] = (
    ("fold-static-full",),
    ("fold-static-full", "roll-producer", "hoist-rank"),
    ("roll-producer",),
    ("hoist-rank",),
    ("canonicalize", "cse"),
)
"""Passes a case may run on the builder kernel before it is printed and mutated."""

UNMUTATED_FRACTION = 0.2
PREPASS_FRACTION = 0.3
MAX_MUTATIONS = 3
DEFAULT_TIMEOUT_S = 60.0
"""CPU seconds per driver run. Above what pipeir.analysis.interp's runaway-loop guard
(OP_BUDGET operations) takes to fire, 15 to 27 s of CPU here: a kernel whose
loop runs away gets a correct diagnostic from verify-pipeline, only late.
CPU time, not wall-clock time, so that a loaded machine (CI, other jobs)
does not turn those slow diagnostics into hangs."""
WALL_FACTOR = 4
"""The wall-clock limit of a run, in multiples of its CPU limit: catches a
run that blocks instead of computing."""
SLOW_S = 5.0
"""Cases slower than this are listed in the summary (not a failure)."""

DIAGNOSTIC = re.compile(r"^(\S+:\d+:\d+: error: |pipeir-opt: error: ).+$")
REMARK = re.compile(r"^\S+:\d+:\d+: remark: .+$")

CLASSES = ("ok", "diagnostic", "traceback", "bad-output", "hang")
FAILING = ("traceback", "bad-output", "hang")


# -- random builder kernels ------------------------------------------------------


def random_config(rng: Random) -> GemmConfig:
    """A random valid GemmConfig, drawn from what its target offers."""
    arch = "sm_100a" if rng.random() < 0.1 else "sm_90a"
    target = target_for(arch)
    dtype = rng.choice(target.OPERAND_DTYPES)
    width = dtype_bytes(dtype)
    k_atom = target.mma_k_atom(dtype)
    tile_m = rng.choice(target.TILE_M)
    tile_n = rng.choice([n for n in target.TILE_N if (tile_m, n) not in target.EXCLUDED_TILES])
    tile_k = k_atom * rng.randint(1, target.MAX_TILE_K_BYTES // (k_atom * width))
    out_dtype = rng.choice((None, *target.OUTPUT_DTYPES))
    probe = GemmConfig(None, None, None, dtype=dtype, out_dtype=out_dtype, tile=(tile_m, tile_n, tile_k), arch=arch)
    # Most rings short (small, fast cases), some up to the shared-memory limit.
    stages = rng.randint(1, min(probe.max_stages, rng.choice((2, 3, 4, target.MAX_STAGES))))
    warp_specialize = rng.random() < 0.75
    # Both consumer shapes where the target has both: one MMA batch in flight needs a second stage.
    mma_in_flight = rng.randint(0, target.MAX_MMA_IN_FLIGHT) if warp_specialize and stages > 1 else 0

    def size(tile: int, extra: Sequence[int]) -> int | None:
        if rng.random() < 0.3:
            return None
        return rng.choice((tile, 2 * tile, 3 * tile + 1, 1, 100, 1000, 4096, *extra))

    config = GemmConfig(
        m=size(tile_m, ()),
        n=size(tile_n, ()),
        k=size(tile_k, (stages * tile_k, stages * tile_k + tile_k // 2, (stages + 1) * tile_k)),
        dtype=dtype,
        out_dtype=out_dtype,
        tile=(tile_m, tile_n, tile_k),
        stages=stages,
        cluster=rng.choice(target.CLUSTER_SHAPES),
        raster_group=rng.choice((None, None, None, 2, 3, 8)),
        arch=arch,
        b_major="mn" if dtype in target.MN_MAJOR_DTYPES and rng.random() < 0.3 else "k",
        warp_specialize=warp_specialize,
        mma_in_flight=mma_in_flight,
        name=rng.choice(("gemm", "gemm", "gemm", "k0", "my_kernel")),
        # a fused epilogue in a quarter of the cases (drawn last: the draws above are unchanged)
        **(dict(scale=rng.choice((None, *Scale)), bias=rng.random() < 0.5, activation=rng.choice((None, *Activation)))
           if rng.random() < 0.25 else {}),
    )
    if config.b_major == "k" and target.SWAP_AB and rng.random() < 0.2:
        # The decode schedule: the sizes drawn for the MMA's rows and columns are N and M.
        config = replace(config, m=config.n, n=config.m, swap_ab=True)
    if warp_specialize and target.SPLIT_K and rng.random() < 0.2:
        # Split-K (drawn last: the draws above are unchanged), at most one split per k-tile
        # of a static K.
        most = min(target.MAX_SPLIT_K, 4 if config.k is None else -(-config.k // tile_k))
        if most >= 2:
            config = replace(config, split_k=rng.randint(2, most))
    # Row slabs and B loaded evict-first (drawn last: the draws above are unchanged),
    # where the target builds them.
    if target.ROW_SLABS and rng.random() < 0.2:
        config = replace(config, row_slabs=True)
    if target.B_EVICT_FIRST and rng.random() < 0.2:
        config = replace(config, b_evict_first=True)
    config.validate()
    return config


_BASE_TEXTS: dict[tuple[GemmConfig, tuple[str, ...]], str] = {}


def base_text(config: GemmConfig, prepasses: tuple[str, ...]) -> str:
    """The printed builder kernel for `config` after `prepasses` (cached)."""
    key = (config, prepasses)
    if key not in _BASE_TEXTS:
        module = gemm(config)
        if prepasses:
            with contextlib.redirect_stderr(io.StringIO()):  # roll-producer remarks
                run_passes(module, prepasses)
        _BASE_TEXTS[key] = str(module) + "\n"
    return _BASE_TEXTS[key]


# -- mutations -----------------------------------------------------------------------

OP_LINE = re.compile(r"^\s*(%[\w$.-]+(, %[\w$.-]+)* = )?[a-z_]+\.[a-z_]+\b")
PIPE_OP_LINE = re.compile(r"^\s*(%[\w$.-]+(, %[\w$.-]+)* = )?pipe\.[a-z_]+\b")
SSA_NAME = re.compile(r"%[\w$.-]+")
SSA_DEF = re.compile(r"%[\w$.-]+(?=(, %[\w$.-]+)* = )")
K_TILE_CONSTANT = re.compile(r"(?<=arith\.constant )-?\d+(?= : index)")
EVENT_OPS = ("acquire", "copy", "commit", "producer_tail", "wait", "mma", "release")
STATE_EVENT = re.compile(r"(?<=pipe\.)(acquire|commit|producer_tail|wait|mma|release)\b")
PREDICATE = re.compile(r"(?<=pipe\.)(k_tile_fits|k_tile_full)\b")

INTEGERS = (0, 13, -1, 1, 2, 3, 4, 12, 16, 64, 128, 255, 256, 1000, 2**31, 2**63 - 1, 2**63, 2**64, -(2**63))
STRINGS = {
    "dtype": ("f16", "bf16", "f8E4M3FN", "f8E5M2", "f32", "i8", "", "F16", "tf32", "index", "f8e4m3", '"bf16"'),
    "arch": ("sm_90a", "sm_100a", "sm_80", "", "sm_90a ", '"sm_90a"'),
    "role": ("producer", "consumer", "mainloop", "", "Producer", "epilogue", '"producer"'),
    "operand": ("a", "b", "c", "", "ab"),
    "major": ("k", "mn", "m", "", '"k"'),
    "raster": ("m", "n", "k", "", '"m"'),
}
GARBAGE = (
    "{", "}", "(", ")", "[", "]", "<", ">", "%", "%0", "%999", "@", "@gemm", '"', "'", "->", ":", ",",
    "=", "^bb0", "pipe.acquire", "pipe.kernel", "pipe.role", "scf.yield", "scf.for", "!pipe.state",
    "!pipe.pipeline", "index", "i1", "i64", "array<i64: 1>", "array<i64:", "0x", "-", "1e999",
    "9999999999999999999999", "true", "attributes", "//", "\t", "\n", "é", "\u2028", "\x00",
    "\udcff",  # written as the single byte 0xff: invalid UTF-8
    "#loc", "loc(", "dense<1>", "{}", "()", "//-----\n",
)


def random_int(rng: Random, current: int | None = None) -> int:
    if current is not None and rng.random() < 0.3:
        return current + rng.choice((-1, 1))
    if rng.random() < 0.2:
        return rng.randint(-5, 300)
    return rng.choice(INTEGERS)


def _op_lines(lines: list[str], pattern: re.Pattern[str] = OP_LINE) -> list[int]:
    """Indices of single-line operations (no region opened on the line)."""
    return [
        i for i, line in enumerate(lines)
        if pattern.match(line) and not line.rstrip().endswith("{")
    ]


def drop_op(text: str, rng: Random) -> str | None:
    lines = text.splitlines(keepends=True)
    candidates = _op_lines(lines, PIPE_OP_LINE if rng.random() < 0.8 else OP_LINE)
    if not candidates:
        return None
    del lines[rng.choice(candidates)]
    return "".join(lines)


def duplicate_op(text: str, rng: Random) -> str | None:
    lines = text.splitlines(keepends=True)
    candidates = _op_lines(lines, PIPE_OP_LINE)
    if not candidates:
        return None
    i = rng.choice(candidates)
    at = i + 1 if rng.random() < 0.7 else rng.choice(candidates) + 1
    lines.insert(at, lines[i])
    return "".join(lines)


def swap_ops(text: str, rng: Random) -> str | None:
    lines = text.splitlines(keepends=True)
    ops = set(_op_lines(lines))
    candidates = [i for i in ops if i + 1 in ops]
    if not candidates:
        return None
    i = rng.choice(candidates)
    lines[i], lines[i + 1] = lines[i + 1], lines[i]
    return "".join(lines)


def _replace_span(text: str, span: tuple[int, int], new: str) -> str:
    return text[: span[0]] + new + text[span[1] :]


def _perturb_int(rng: Random, match: re.Match[str]) -> str:
    return str(random_int(rng, int(match.group(1))))


def _perturb_array(rng: Random, match: re.Match[str]) -> str:
    entries = [e.strip() for e in match.group(1).split(",") if e.strip()]
    choice = rng.random()
    if choice < 0.7 and entries:
        i = rng.randrange(len(entries))
        entries[i] = str(random_int(rng, int(entries[i]) if entries[i].lstrip("-").isdigit() else None))
    elif choice < 0.85 and entries:
        del entries[rng.randrange(len(entries))]
    else:
        entries.insert(rng.randint(0, len(entries)), str(random_int(rng)))
    return f"array<i64: {', '.join(entries)}>" if entries else "array<i64>"


def _perturb_string(kind: str) -> Callable[[Random, re.Match[str]], str]:
    def perturb(rng: Random, match: re.Match[str]) -> str:
        return f'"{rng.choice(STRINGS[kind])}"'

    return perturb


def _perturb_word(kind: str) -> Callable[[Random, re.Match[str]], str]:
    """A bare word (a type, or an enum attribute's value) swapped for another."""

    def perturb(rng: Random, match: re.Match[str]) -> str:
        return rng.choice(STRINGS[kind])

    return perturb


def _perturb_bool(rng: Random, match: re.Match[str]) -> str:
    return rng.choice(("true", "false", "0", "1", "2", "-1", "yes", ""))


ATTRIBUTES: tuple[tuple[str, re.Pattern[str], Callable[[Random, re.Match[str]], str]], ...] = (
    ("stages", re.compile(r"(?<=stages\()(-?\d+)(?=\))"), _perturb_int),
    ("index", re.compile(r"(?<=index\()(-?\d+)(?=\))"), _perturb_int),
    ("phase", re.compile(r"(?<=phase\()(-?\d+)(?=\))"), _perturb_int),
    ("warps", re.compile(r"(?<=warps\()(-?\d+)(?=\))"), _perturb_int),
    ("pending", re.compile(r"(?<=pending\()(-?\d+)(?=\))"), _perturb_int),
    ("array", re.compile(r"array<i64: ([^>]*)>"), _perturb_array),
    ("masked", re.compile(r"(?<=masked\()(true|false)(?=\))"), _perturb_bool),
    ("dtype", re.compile(r"(?<=_dtype = )(\w+)"), _perturb_word("dtype")),
    ("arch", re.compile(r"(?<=#pipe<arch )(\w+)(?=>)"), _perturb_word("arch")),
    ("role", re.compile(r"(?<=pipe\.role )(\w+)"), _perturb_word("role")),
    ("operand", re.compile(r'(?<=pipe\.copy )"(\w+)"'), _perturb_string("operand")),
    ("major", re.compile(r"(?<=#pipe<major )(\w+)(?=>)"), _perturb_word("major")),
    ("raster", re.compile(r"(?<=#pipe<raster )(\w+)(?=>)"), _perturb_word("raster")),
)


def perturb_attribute(text: str, rng: Random) -> str | None:
    sites = [(pattern, perturb) for _, pattern, perturb in ATTRIBUTES]
    matches = [(m, perturb) for pattern, perturb in sites for m in pattern.finditer(text)]
    if not matches:
        return None
    match, perturb = rng.choice(matches)
    return _replace_span(text, match.span(), perturb(rng, match))


def replace_operand(text: str, rng: Random) -> str | None:
    """Replace one SSA use by a name defined earlier in the text (maybe out of
    scope, maybe of another type) or by an undefined one."""
    defs: list[str] = []
    uses: list[tuple[int, str, int]] = []  # (offset, name, how many defs precede it)
    for line_match in re.finditer(r"[^\n]*\n?", text):
        line, offset = line_match.group(), line_match.start()
        defined_here = [m for m in SSA_DEF.finditer(line)]
        starts = {m.start() for m in defined_here}
        uses.extend(
            (offset + m.start(), m.group(), len(defs))
            for m in SSA_NAME.finditer(line)
            if m.start() not in starts
        )
        defs.extend(m.group() for m in defined_here)
    if not uses:
        return None
    start, name, defined = rng.choice(uses)
    candidates = [d for d in defs[:defined] if d != name]
    if rng.random() < 0.25 or not candidates:
        new = rng.choice(("%999999", "%nonexistent", "%0", "%-1"))
    else:
        new = rng.choice(candidates)
    return _replace_span(text, (start, start + len(name)), new)


def truncate(text: str, rng: Random) -> str | None:
    return text[: rng.randrange(len(text))] if text else None


def insert_garbage(text: str, rng: Random) -> str | None:
    for _ in range(rng.randint(1, 3)):
        at = rng.randint(0, len(text))
        token = rng.choice(GARBAGE)
        text = text[:at] + rng.choice(("", " ")) + token + rng.choice(("", " ")) + text[at:]
    return text


def change_constant(text: str, rng: Random) -> str | None:
    matches = list(K_TILE_CONSTANT.finditer(text))
    if not matches:
        return None
    match = rng.choice(matches)
    return _replace_span(text, match.span(), str(random_int(rng, int(match.group()))))


def rename_op(text: str, rng: Random) -> str | None:
    """Turn one state event into another (acquire -> wait, ...) or swap the
    k-tile predicates: well-formed IR that breaks role or protocol rules."""
    matches = [(m, STATE_EVENT) for m in STATE_EVENT.finditer(text)]
    matches += [(m, PREDICATE) for m in PREDICATE.finditer(text)]
    if not matches:
        return None
    match, pattern = rng.choice(matches)
    names = (
        ("k_tile_fits", "k_tile_full")
        if pattern is PREDICATE
        else ("acquire", "commit", "producer_tail", "wait", "mma", "release")
    )
    return _replace_span(text, match.span(), rng.choice([n for n in names if n != match.group()]))


TYPE_SITE = re.compile(r"(?<=: )(index|i1|!pipe\.state|!pipe\.pipeline)\b|(?<=array<)i64\b|(?<=-> \()!pipe\.state")
TYPES = (
    "index", "i1", "i32", "i64", "f32", "!pipe.state", "!pipe.pipeline", "i0", "si64", "ui1",
    "i99999999999999999999", "none", "tensor<2xi1>", "!pipe.stage", "!foo.bar",
)


def perturb_type(text: str, rng: Random) -> str | None:
    """Change one written type: an arith.constant's, a yield's, an iter_args
    result's, a dense array's element type."""
    matches = list(TYPE_SITE.finditer(text))
    if not matches:
        return None
    match = rng.choice(matches)
    return _replace_span(text, match.span(), rng.choice([t for t in TYPES if t != match.group()]))


MUTATIONS: dict[str, Callable[[str, Random], str | None]] = {
    "drop-op": drop_op,
    "duplicate-op": duplicate_op,
    "swap-ops": swap_ops,
    "perturb-attribute": perturb_attribute,
    "replace-operand": replace_operand,
    "truncate": truncate,
    "insert-garbage": insert_garbage,
    "change-constant": change_constant,
    "rename-op": rename_op,
    "perturb-type": perturb_type,
}
MUTATION_WEIGHTS = {
    "drop-op": 3,
    "duplicate-op": 2,
    "swap-ops": 2,
    "perturb-attribute": 5,
    "replace-operand": 3,
    "truncate": 1,
    "insert-garbage": 2,
    "change-constant": 2,
    "rename-op": 2,
    "perturb-type": 1,
}


# -- cases -----------------------------------------------------------------------------


@dataclass
class Case:
    index: int
    config: GemmConfig
    prepasses: tuple[str, ...]
    mutations: list[str]
    text: str
    pipelines: list[tuple[str, ...]]

    @property
    def mutated(self) -> bool:
        return bool(self.mutations)

    def data(self) -> bytes:
        # surrogateescape: an inserted '\udcff' becomes the invalid UTF-8 byte 0xff.
        return self.text.encode("utf-8", "surrogateescape")


def case_rng(seed: int, index: int) -> Random:
    return Random(f"pipeir-fuzz:{seed}:{index}")


def make_case(seed: int, index: int) -> Case:
    """Case `index` of the run seeded `seed`: a function of the two alone."""
    rng = case_rng(seed, index)
    config = random_config(rng)
    prepasses = rng.choice(PREPASSES) if rng.random() < PREPASS_FRACTION else ()
    text = base_text(config, prepasses)
    mutations: list[str] = []
    if rng.random() >= UNMUTATED_FRACTION:
        names, weights = zip(*MUTATION_WEIGHTS.items())
        for name in rng.choices(names, weights, k=rng.randint(1, MAX_MUTATIONS)):
            mutated = MUTATIONS[name](text, rng)
            if mutated is not None and mutated != text:
                text = mutated
                mutations.append(name)
        if not mutations:  # nothing applied: still a mutated case
            text = insert_garbage(text, rng) or text + "}"
            mutations.append("insert-garbage")
    pipelines = rng.sample(PIPELINES, rng.choice((1, 1, 2)))
    return Case(index, config, prepasses, mutations, text, pipelines)


# -- running and classifying -------------------------------------------------------------


class Hang(BaseException):
    """Raised by the run timers. A BaseException, so that no `except Exception`
    of the code under test swallows it."""


def _on_alarm(signum: int, frame: object) -> None:
    raise Hang("wall-clock" if signum == signal.SIGALRM else "CPU")


TIMER_SIGNALS = (signal.SIGALRM, signal.SIGPROF)


def _set_timers(cpu_seconds: float) -> None:
    """Limit the next run to `cpu_seconds` of CPU time (ITIMER_PROF) and
    WALL_FACTOR times that of wall-clock time (ITIMER_REAL); 0 cancels both."""
    signal.setitimer(signal.ITIMER_PROF, cpu_seconds)
    signal.setitimer(signal.ITIMER_REAL, cpu_seconds * WALL_FACTOR)


@dataclass
class Run:
    """One driver run of one case with one pipeline."""

    pipeline: tuple[str, ...]
    klass: str
    rc: int | None
    stdout: str
    stderr: str
    detail: str = ""


@dataclass
class Result:
    index: int
    mutations: list[str]
    runs: list[Run]
    seconds: float
    case: Case | None = None  # kept only for failures (the parent writes reproducers)
    error: str = ""  # a failure of the fuzzer's own case generation
    static_k: StaticKCheck | None = None  # an accepted dynamic-K mutant re-verified at static K

    @property
    def unmutated_failure(self) -> bool:
        return not self.mutations and any(run.klass != "ok" for run in self.runs)

    @property
    def failed(self) -> bool:
        return (
            bool(self.error)
            or self.unmutated_failure
            or any(r.klass in FAILING for r in self.runs)
            or bool(self.static_k and self.static_k.failures)
        )


_CONTEXT = None


def _context():
    global _CONTEXT
    if _CONTEXT is None:
        _CONTEXT = make_context()
    return _CONTEXT


def _reparse(text: str) -> str | None:
    """Why the driver's output does not parse and verify again, or None."""
    try:
        verify_located(parse_module(_context(), text, "<output>"))
    except PipeirError as error:
        return str(error)
    return None


VERIFYING_FLAGS = ("--verify-pipeline", "--verify-each")


def verifies(pipeline: Sequence[str]) -> bool:
    """Whether a driver command line runs verify-pipeline on its final IR."""
    return any(flag in pipeline for flag in VERIFYING_FLAGS) or any(
        "verify-pipeline" in arg.split(",") for arg in pipeline
    )


@dataclass
class StaticKCheck:
    """An accepted dynamic-K kernel re-verified at static K (issue 13, acceptance 1)."""

    sizes: int = 0
    failures: list[str] = field(default_factory=list)


def recheck_at_static_k(text: str) -> StaticKCheck | None:
    """Re-verify the kernel that `text` holds, accepted by verify-pipeline with K
    dynamic, with K static at every k-tile count 1..2S+2 (S stages), each as whole
    k-tiles and with a partial last k-tile: a K at which the static simulation
    rejects a kernel the dynamic proof accepted is a hole in that proof. None if
    the kernel's K is static."""
    kernel = kernel_of(parse_module(_context(), text, "<output>"))
    m, n, k = kernel.problem_shape
    if k != pipe.DYNAMIC:
        return None
    tile_k = kernel.tile_shape[2]
    (pipeline,) = kernel.pipelines
    check = StaticKCheck()
    for k_tiles in range(1, max_k_tiles(pipeline.stage_count) + 1):
        for size in (k_tiles * tile_k - tile_k // 2, k_tiles * tile_k):
            kernel.properties["problem"] = DenseArrayBase.from_list(i64, [m, n, size])
            check.sizes += 1
            try:
                verify_kernel(kernel)
            except PipeirError as error:
                check.failures.append(f"K={size}: {error}")
    return check


def classify(rc: int | None, stdout: str, stderr: str, exception: str) -> tuple[str, str]:
    if exception:
        return "traceback", exception
    if "Traceback" in stderr:
        return "traceback", "stderr holds a traceback"
    if rc not in (0, 1, 2):
        return "traceback", f"exit status {rc!r}"
    lines = stderr.splitlines()
    others = [line for line in lines if not REMARK.match(line)]
    if rc == 0:
        if others:
            return "bad-output", "exit status 0 but stderr holds: " + others[0]
        try:
            why = _reparse(stdout)
        except Exception:
            return "traceback", "re-parsing the output raised:\n" + traceback.format_exc()
        return ("bad-output", f"the output does not re-parse: {why}") if why else ("ok", "")
    if len(others) == 1 and DIAGNOSTIC.match(others[0]):
        return "diagnostic", ""
    return "traceback", f"exit status {rc} without exactly one error line ({len(others)} lines)"


def run_driver(path: str, pipeline: Sequence[str]) -> Run:
    out, err = io.StringIO(), io.StringIO()
    rc: int | None = None
    exception = ""
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = opt.main([*pipeline, path])
        except SystemExit as exit_:  # opt.fail(): a bad command line or input file
            rc = exit_.code if isinstance(exit_.code, int) or exit_.code is None else 1
            rc = 0 if rc is None else rc
        except Exception:
            exception = traceback.format_exc()
    klass, detail = classify(rc, out.getvalue(), err.getvalue(), exception)
    return Run(tuple(pipeline), klass, rc, out.getvalue(), err.getvalue(), detail)


@dataclass
class _Worker:
    seed: int
    timeout: float
    directory: str


_WORKER: _Worker | None = None


def _init_worker(seed: int, timeout: float, directory: str) -> None:
    global _WORKER
    _WORKER = _Worker(seed, timeout, directory)
    for signum in TIMER_SIGNALS:
        signal.signal(signum, _on_alarm)


def run_case(index: int) -> Result:
    assert _WORKER is not None
    start = time.perf_counter()
    runs: list[Run] = []
    try:
        case = make_case(_WORKER.seed, index)
    except Exception:
        return Result(index, [], [], time.perf_counter() - start, None,
                      "making the case raised:\n" + traceback.format_exc())
    path = os.path.join(_WORKER.directory, f"case-{index:05d}.mlir")
    with open(path, "wb") as file:
        file.write(case.data())
    for pipeline in case.pipelines:
        _set_timers(_WORKER.timeout)
        try:
            runs.append(run_driver(path, pipeline))
        except Hang as hang:
            limit = _WORKER.timeout * (WALL_FACTOR if str(hang) == "wall-clock" else 1)
            detail = f"still running after {limit:g} s of {hang} time"
            runs.append(Run(pipeline, "hang", None, "", "", detail))
        finally:
            _set_timers(0)
    os.unlink(path)
    result = Result(index, case.mutations, runs, time.perf_counter() - start)
    accepted = next((run for run in runs if run.klass == "ok" and verifies(run.pipeline)), None)
    if case.mutated and accepted is not None:
        _set_timers(_WORKER.timeout)
        try:
            result.static_k = recheck_at_static_k(accepted.stdout)
        except Hang as hang:
            result.static_k = StaticKCheck(failures=[f"re-verification still running after the {hang} time limit"])
        finally:
            _set_timers(0)
        result.seconds = time.perf_counter() - start
    if result.failed:
        result.case = case
    return result


# -- the run ---------------------------------------------------------------------------


@dataclass
class Summary:
    seed: int
    count: int
    jobs: int
    seconds: float = 0.0
    runs: Counter[str] = field(default_factory=Counter)
    cases: Counter[str] = field(default_factory=Counter)
    """Cases by their worst run (hang > traceback > bad-output > diagnostic > ok)."""
    unmutated: int = 0
    unmutated_failures: int = 0
    mutations: Counter[str] = field(default_factory=Counter)
    mutated_ok: int = 0
    failures: list[Result] = field(default_factory=list)
    slowest: list[tuple[float, int]] = field(default_factory=list)
    static_k_kernels: int = 0
    static_k_sizes: int = 0
    static_k_failures: int = 0

    @property
    def failed(self) -> bool:
        return bool(self.failures)

    def report(self) -> str:
        runs = sum(self.runs.values())
        lines = [
            f"{PROG}: seed {self.seed}, {self.count} cases ({self.unmutated} unmutated), "
            f"{runs} driver runs, {self.seconds:.1f} s wall with {self.jobs} job(s)",
            "  class        runs   cases",
        ]
        for klass in CLASSES:
            lines.append(f"  {klass:<10} {self.runs[klass]:>6} {self.cases[klass]:>7}")
        lines.append(f"  unmutated cases failing: {self.unmutated_failures}")
        lines.append(
            f"  accepted dynamic-K mutants re-verified at static K: {self.static_k_kernels} "
            f"({self.static_k_sizes} sizes), rejected at some K: {self.static_k_failures}"
        )
        lines.append(f"  mutated cases that stayed valid (ok with every pipeline): {self.mutated_ok}")
        lines.append(
            "  mutations applied: "
            + ", ".join(f"{name} {self.mutations[name]}" for name in MUTATIONS)
        )
        slow = [(seconds, index) for seconds, index in self.slowest if seconds > SLOW_S]
        lines.append(
            f"  cases slower than {SLOW_S:g} s: {len(slow)}"
            + "".join(f"{', ' if i else ' ('}#{index} {seconds:.1f} s" for i, (seconds, index) in enumerate(slow[:10]))
            + (")" if slow else "")
        )
        if self.slowest:
            seconds, index = self.slowest[0]
            lines.append(f"  slowest case: #{index} {seconds:.1f} s")
        for result in self.failures:
            lines.append(f"  FAILED case {result.index}: {describe_failure(result)}")
        return "\n".join(lines)


SEVERITY = {"ok": 0, "diagnostic": 1, "bad-output": 2, "traceback": 3, "hang": 4}


def describe_failure(result: Result) -> str:
    if result.error:
        return result.error.strip().splitlines()[-1]
    if result.static_k and result.static_k.failures:
        return f"accepted at dynamic K, rejected at static {result.static_k.failures[0]}"
    bad = [run for run in result.runs if run.klass in FAILING or (run.klass != "ok" and not result.mutations)]
    run = bad[0]
    what = "unmutated case not ok: " if not result.mutations else ""
    last = run.detail.strip().splitlines()[-1] if run.detail.strip() else run.stderr.strip()[:200]
    return f"{what}{run.klass} with `pipeir-opt {' '.join(run.pipeline)}`: {last}"


def write_reproducer(directory: str, seed: int, result: Result) -> None:
    os.makedirs(directory, exist_ok=True)
    stem = os.path.join(directory, f"case-{result.index:05d}")
    case = result.case
    notes = [f"pipeir-fuzz seed {seed} case {result.index}"]
    notes.append(f"rerun: python -m pipeir.tools.fuzz --seed {seed} --case {result.index}")
    if case is not None:
        with open(stem + ".mlir", "wb") as file:
            file.write(case.data())
        notes.append(f"config: {case.config}")
        notes.append(f"passes before printing: {', '.join(case.prepasses) or 'none'}")
        notes.append(f"mutations: {', '.join(case.mutations) or 'none (must succeed)'}")
    if result.error:
        notes.append(result.error)
    if result.static_k and result.static_k.failures:
        notes.append("accepted with K dynamic, rejected with K static at:")
        notes += result.static_k.failures
    for run in result.runs:
        notes.append("")
        notes.append(f"$ pipeir-opt {' '.join(run.pipeline)} {os.path.basename(stem)}.mlir")
        notes.append(f"class: {run.klass}; exit status: {run.rc}")
        if run.detail:
            notes.append(f"why: {run.detail}")
        notes.append("stderr:")
        notes.append(run.stderr.rstrip())
    with open(stem + ".txt", "w") as file:
        file.write("\n".join(notes) + "\n")


def _prepare() -> None:
    """Import everything a case may need before workers fork, so that they
    share it and no case pays for an import."""
    for factory in PASSES.values():
        factory()
    import pipeir.analysis.interp  # noqa: F401  (verify-pipeline)
    import xdsl.universe  # noqa: F401  (the driver's targets)

    opt.PipeirOptMain(["-"])  # loads the rest of the driver's lazy imports
    _reparse("builtin.module {}")


def fuzz(
    count: int,
    seed: int = 0,
    *,
    jobs: int = 1,
    timeout: float = DEFAULT_TIMEOUT_S,
    failures_dir: str | None = None,
    cases: Iterable[int] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Summary:
    """Run cases 0..count-1 (or just `cases`) of the run seeded `seed`."""
    indices = list(range(count) if cases is None else cases)
    summary = Summary(seed, len(indices), jobs)
    _prepare()
    start = time.perf_counter()
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="pipeir-fuzz-") as directory:
        if jobs <= 1:
            previous = {signum: signal.getsignal(signum) for signum in TIMER_SIGNALS}
            try:
                _init_worker(seed, timeout, directory)
                for index in indices:
                    results.append(run_case(index))
                    if progress:
                        progress(len(results), len(indices))
            finally:
                for signum, handler in previous.items():
                    signal.signal(signum, handler)
        else:
            pool_context = multiprocessing.get_context("fork")
            with pool_context.Pool(jobs, _init_worker, (seed, timeout, directory)) as pool:
                for result in pool.imap_unordered(run_case, indices, chunksize=4):
                    results.append(result)
                    if progress:
                        progress(len(results), len(indices))
    summary.seconds = time.perf_counter() - start
    results.sort(key=lambda r: r.index)
    for result in results:
        for run in result.runs:
            summary.runs[run.klass] += 1
        worst = max((run.klass for run in result.runs), key=SEVERITY.__getitem__, default="traceback")
        summary.cases[worst] += 1
        summary.mutations.update(result.mutations)
        if not result.mutations:
            summary.unmutated += 1
            summary.unmutated_failures += result.unmutated_failure
        elif result.runs and all(run.klass == "ok" for run in result.runs):
            summary.mutated_ok += 1
        if result.static_k is not None:
            summary.static_k_kernels += 1
            summary.static_k_sizes += result.static_k.sizes
            summary.static_k_failures += bool(result.static_k.failures)
        if result.failed:
            summary.failures.append(result)
            if failures_dir is not None:
                write_reproducer(failures_dir, seed, result)
    summary.slowest = sorted(((r.seconds, r.index) for r in results), reverse=True)
    return summary


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000, help="number of cases (default 1000)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the run (default 0)")
    parser.add_argument("--jobs", "-j", type=int, default=os.cpu_count() or 1,
                        help="worker processes (default: one per CPU)")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S,
                        help=f"CPU seconds a driver run may take before it counts as a hang "
                        f"(default {DEFAULT_TIMEOUT_S:g}; wall-clock: {WALL_FACTOR} times that)")
    parser.add_argument("--failures-dir", default="fuzz-failures",
                        help="where reproducers of failing cases go (default ./fuzz-failures)")
    parser.add_argument("--case", type=int, action="append", default=None, metavar="I",
                        help="run only case I of the seeded run (repeatable)")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress line")
    args = parser.parse_args(argv)

    def progress(done: int, total: int) -> None:
        if not args.quiet and (done % 250 == 0 or done == total):
            print(f"{PROG}: {done}/{total}", file=sys.stderr, flush=True)

    summary = fuzz(
        args.count,
        args.seed,
        jobs=max(1, args.jobs),
        timeout=args.timeout,
        failures_dir=args.failures_dir,
        cases=args.case,
        progress=progress,
    )
    print(summary.report())
    if summary.failed:
        print(f"{PROG}: {len(summary.failures)} failing case(s); reproducers in {args.failures_dir}/")
    return 1 if summary.failed else 0


if __name__ == "__main__":
    sys.exit(main())
