"""`pipeir-tune`: tune GEMM problems on the GPU ahead of time (see pipeir.tune).

    pipeir-tune --dtype bf16 --shape 4096x4096x4096 [--shape 8192x8192x8192 ...]
                [--b-major k|mn] [--jobs N] [--compile-only] [--retune]
    pipeir-tune --dtype bf16 --nk 8192x8192 [--nk 4096x14336 ...] [--m-class decode ...]

`--shape` tunes a static problem (pipeir.compile's cache); `--nk` tunes the dynamic-M
kernels pipeir.matmul builds for (N, K), one per M class (pipeir.tune.M_CLASSES), into
the shape-bucketed cache, which pipeir.matmul then uses without ever timing anything.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from typing import NoReturn

from pipeir import tune as tuner
from pipeir.passes import HEADLINE_PIPELINE
from pipeir.runtime.cache import read_choices
from pipeir.runtime.progress import TuningProgress
from pipeir.target.spec import ConfigError, GemmConfig
from pipeir.tools.gen import dtype_argument, dtype_choices
from pipeir.tune import apply_choice, candidates, default_jobs, describe, prepare_all, tune, tuning_key
from pipeir.version import __version__

PROG = "pipeir-tune"


def fail(message: str) -> NoReturn:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    sys.exit(2)


def problem_shape(text: str) -> tuple[int, int, int]:
    parts = text.lower().split("x")
    if len(parts) != 3 or not all(p.isdigit() and int(p) > 0 for p in parts):
        raise argparse.ArgumentTypeError(f"expected MxNxK with positive sizes, like 4096x4096x4096, got '{text}'")
    return tuple(int(p) for p in parts)


def nk_shape(text: str) -> tuple[int, int]:
    parts = text.lower().split("x")
    if len(parts) != 2 or not all(p.isdigit() and int(p) > 0 for p in parts):
        raise argparse.ArgumentTypeError(f"expected NxK with positive sizes, like 8192x8192, got '{text}'")
    return int(parts[0]), int(parts[1])


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog=PROG, description=tuner.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    top.error = fail
    top.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    top.add_argument("--shape", type=problem_shape, action="append", default=[],
                     help="static problem MxNxK to tune (repeat for several)")
    top.add_argument("--nk", type=nk_shape, action="append", default=[],
                     help="NxK of pipeir.matmul's dynamic-M kernels to tune, each M class (repeat for several)")
    top.add_argument("--m-class", choices=[name for _, name, _ in tuner.M_CLASSES], action="append",
                     help="with --nk: the M classes to tune (repeat; default all)")
    top.add_argument("--dtype", type=dtype_argument, action="append", metavar="DTYPE",
                     help=f"A and B element type: {dtype_choices()} (repeat for several; default bf16)")
    top.add_argument("--b-major", choices=("k", "mn"), default="k", help="B layout: K-major or MN-major")
    top.add_argument("--jobs", type=int, default=None,
                     help="compiler processes (default: CPUs available, at most 12)")
    top.add_argument("--compile-only", action="store_true",
                     help="only compile the first-round candidates into the object cache "
                          "(no GPU needed); time nothing")
    top.add_argument("--retune", action="store_true", help="tune again even if a choice is cached")
    top.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                     help="show a progress line on stderr (candidates compiled and timed, best so far); "
                          "default: when stderr is a terminal or PIPEIR_PROGRESS=1")
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.jobs is not None and args.jobs < 1:
        fail(f"--jobs must be at least 1, got {args.jobs}")
    if not args.shape and not args.nk:
        fail("give a problem to tune: --shape MxNxK or --nk NxK")
    if args.m_class and not args.nk:
        fail("--m-class needs --nk")
    jobs = args.jobs or default_jobs()
    dtypes = args.dtype or ["bf16"]
    configs = [
        GemmConfig(m=m, n=n, k=k, dtype=dtype, b_major=args.b_major)
        for dtype in dtypes for (m, n, k) in args.shape
    ]
    classes = args.m_class or [name for _, name, _ in tuner.M_CLASSES]
    buckets = [
        (GemmConfig(m=None, n=n, k=k, dtype=dtype, b_major=args.b_major), name)
        for dtype in dtypes for (n, k) in args.nk for name in classes
    ]
    for config in configs + [bucket for bucket, _ in buckets]:
        try:
            config.validate()
        except ConfigError as error:
            fail(str(error))
    if args.compile_only:
        every = [candidate for config in configs for candidate in candidates(config)]
        every += [candidate for config, name in buckets for candidate in tuner.bucket_candidates(config, name)]
        started = time.perf_counter()
        status = TuningProgress(PROG, len(every), enabled=args.progress, timing=False)
        failures = prepare_all(every, HEADLINE_PIPELINE, jobs, status.compiled_one)
        status.close()
        failed = [config for config, error in failures.items() if error]
        for config in failed:
            print(f"{describe(config)}: {failures[config]}")
        print(f"{len(every)} candidates in the object cache ({len(failed)} failed) "
              f"in {time.perf_counter() - started:.1f} s")
        if len(failed) == len(every):
            print(f"{PROG}: error: every candidate failed to compile", file=sys.stderr)
            return 1
        return 0
    import torch

    if not torch.cuda.is_available():
        fail("tuning times kernels and needs a CUDA device (use --compile-only to only compile)")
    for config in configs:
        key = tuning_key(config, torch.cuda.get_device_name())
        cached = read_choices().get(key)
        title = f"{config.dtype} {config.m}x{config.n}x{config.k} b_major={config.b_major}"
        if cached is not None and not args.retune:
            print(f"{title}: cached: {describe(apply_choice(config, cached))} ({cached['ms']} ms)")
            continue
        print(f"{title}:")
        started = time.perf_counter()
        try:
            best = tune(config, HEADLINE_PIPELINE, jobs, report=progress, progress=args.progress)
        except ConfigError as error:  # no candidate compiled and computed the right result
            print(f"{PROG}: error: {title}: {error}", file=sys.stderr)
            return 1
        print(f"  chose {describe(best.config)}: {best.ms:.4f} ms "
              f"(tuned in {time.perf_counter() - started:.1f} s)")
    for done, (config, name) in enumerate(buckets):
        key = tuner.bucket_key(config, name, torch.cuda.get_device_name())
        cached = read_choices().get(key)
        title = (f"[{done + 1}/{len(buckets)}] {config.dtype} M {name} (tuned at M = "
                 f"{next(at for _, c, at in tuner.M_CLASSES if c == name)}) N={config.n} K={config.k} "
                 f"b_major={config.b_major}")
        if cached is not None and not args.retune:
            print(f"{title}: cached: {describe(apply_choice(config, cached))} ({cached['ms']} ms)")
            continue
        print(f"{title}:", flush=True)
        started = time.perf_counter()
        try:
            best = tuner.tune_bucket(config, name, HEADLINE_PIPELINE, jobs, report=progress, progress=args.progress)
        except ConfigError as error:
            print(f"{PROG}: error: {title}: {error}", file=sys.stderr)
            return 1
        print(f"  chose {describe(best.config)}: {best.ms:.4f} ms "
              f"(tuned in {time.perf_counter() - started:.1f} s)")
    return 0


def progress(line: str) -> None:
    print(line, flush=True)


if __name__ == "__main__":
    sys.exit(main())
