"""Acceptance: fused epilogues compile without a single spill (LDL/STL site) at every
tile and ring depth the autotuner may choose (pipeir.tune.reachable over the target's
candidates, and every M class bucket's schedules at a dynamic M), on the CPU (CuTe DSL compiles sm_90a without a GPU; pipeir-stats reads the
SASS). Slow: about two hundred kernels, two compiled at a time, several minutes in all;
CI runs it (`make test`)."""

import json
import os
import subprocess
import sys
from dataclasses import replace

import pytest

pytest.importorskip("cutlass")
os.environ.setdefault("CUTE_DSL_ARCH", "sm_90a")

from pipeir.build import gemm  # noqa: E402
from pipeir.lower import lower_module  # noqa: E402
from pipeir.passes import HEADLINE_PIPELINE, run_passes  # noqa: E402
from pipeir.target.sm90 import SM90  # noqa: E402
from pipeir.target.spec import GemmConfig  # noqa: E402
from pipeir.tools.stats import MissingDisassembler, find_nvdisasm  # noqa: E402
from pipeir.tune import M_CLASSES, bucket_candidates, reachable  # noqa: E402

pytestmark = pytest.mark.slow

EPILOGUES = (
    # the most operands held (rowwise scales and a bias) and the activation with the most
    # temporaries (erf), on every fp8 configuration
    GemmConfig(m=4096, n=4096, k=4096, dtype="f8e4m3", scale="rowwise", bias=True, activation="gelu"),
    # a 16-bit product with a bias and the tanh GELU, on every bf16 configuration
    GemmConfig(m=4096, n=4096, k=4096, dtype="bf16", bias=True, activation="gelu_tanh"),
    # the gated epilogue (half-width staging, its own stores) after every operand, on every fp8 one
    GemmConfig(m=4096, n=4096, k=4096, dtype="f8e4m3", scale="rowwise", bias=True, activation="swiglu"),
    # the f32 output (plain shared stores, 4-byte staging) with an f32 bias, on every bf16 one
    GemmConfig(m=4096, n=4096, k=4096, dtype="bf16", out_dtype="f32", bias=True, activation="gelu_tanh"),
)
JOBS = 2


def register_relevant(config: GemmConfig) -> tuple:
    """What changes the consumer's registers: the tile (accumulators, held operands), the
    ring depth, the consumer's shape, swap_ab (which operands run along the tile's rows),
    pingpong (one warpgroup holds the whole tile), the output dtype, a gated store, and a
    dynamic M (edge tiles along M: their masked epilogue clamps the (M,) operands' reads).
    Cluster shape and raster order change only the producer's multicast and the
    scheduler's arithmetic: one of each suffices."""
    return (config.dtype, config.tile_shape, config.stage_count, config.mma_in_flight_count, config.swap_ab,
            bool(config.pingpong), config.c_dtype, config.gated, config.m is None)


def configurations() -> list[GemmConfig]:
    chosen = {}
    for epilogue in EPILOGUES:
        for config in reachable(epilogue):
            chosen.setdefault(register_relevant(config), config)
        # every M class's bucket schedules (swap_ab among them), at a dynamic M as the runtime
        # (pipeir.matmul, pipeir.scaled_mm) builds them
        for _, m_class, _ in M_CLASSES:
            for config in bucket_candidates(replace(epilogue, m=None), m_class):
                chosen.setdefault(register_relevant(config), config)
    # tensorwise scales and every other activation, once each at the default configuration
    for activation in ("relu", "silu"):
        extra = replace(EPILOGUES[0], scale="tensorwise", activation=activation)
        chosen.setdefault(("extra", activation), extra)
    return list(chosen.values())


def stats_of(paths) -> list[dict]:
    """pipeir-stats --json of each generated module, JOBS at a time."""
    results, running = [None] * len(paths), []
    for index, path in enumerate(paths):
        running.append((index, subprocess.Popen(
            [sys.executable, "-m", "pipeir.tools.stats", str(path), "--json"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)))
        if len(running) == JOBS or index == len(paths) - 1:
            for position, process in running:
                out, err = process.communicate()
                assert process.returncode == 0, err
                results[position] = json.loads(out)
            running = []
    return results


def test_no_epilogue_spills_at_any_configuration_the_tuner_may_pick(tmp_path) -> None:
    try:
        find_nvdisasm()
    except MissingDisassembler as error:
        pytest.fail(str(error))  # `make test` installs it: its absence is a broken setup
    configs = configurations()
    for dtype in ("f8e4m3", "bf16"):  # every tuner tile of both, and swap_ab schedules
        assert {c.tile_shape for c in configs if c.dtype == dtype} >= set(SM90.candidate_tiles(dtype))
        assert any(c.swap_ab for c in configs if c.dtype == dtype)
    # every tuner tile of the gated and the f32-output epilogues too
    assert {c.tile_shape for c in configs if c.gated} >= set(SM90.candidate_tiles("f8e4m3"))
    assert {c.tile_shape for c in configs if c.c_dtype == "f32"} >= set(SM90.candidate_tiles("bf16"))
    paths = []
    for index, config in enumerate(configs):
        module = gemm(config)
        run_passes(module, HEADLINE_PIPELINE)
        path = tmp_path / f"k{index}.py"
        path.write_text(lower_module(module))
        paths.append(path)
    failures = []
    for config, stats in zip(configs, stats_of(paths)):
        (kernel,) = stats.values()
        assert kernel["registers"] and kernel["utmastg"] > 0
        if kernel["spills"]:
            failures.append(f"{config}: {kernel['spills']} spill sites")
    assert not failures, "\n".join(failures)
