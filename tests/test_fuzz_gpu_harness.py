"""The GPU differential fuzzer (tests/gpu/fuzz_gpu.py) without a GPU: its cases,
its kernel pool, its worker restarts (on a fake worker that crashes, hangs and
reports faults) and its report."""

from __future__ import annotations

import importlib.util
import json
import sys
import textwrap
from collections import Counter
from pathlib import Path

import pytest

HARNESS_PATH = Path(__file__).parent / "gpu" / "fuzz_gpu.py"
spec = importlib.util.spec_from_file_location("fuzz_gpu", HARNESS_PATH)
fuzz_gpu = importlib.util.module_from_spec(spec)
sys.modules["fuzz_gpu"] = fuzz_gpu  # dataclasses look their module up by name
spec.loader.exec_module(fuzz_gpu)

CASES = [fuzz_gpu.make_case(0, index) for index in range(1000)]


def test_cases_depend_only_on_seed_and_index() -> None:
    assert [fuzz_gpu.make_case(0, i) for i in (999, 3, 0)] == [CASES[999], CASES[3], CASES[0]]
    assert [fuzz_gpu.make_case(1, i) for i in range(20)] != CASES[:20]


def test_pool_configurations_are_legal() -> None:
    for kernel in fuzz_gpu.kernel_pool(0):
        kernel.config.validate()


def test_pool_covers_every_dimension() -> None:
    pool = fuzz_gpu.kernel_pool(0)
    configs = [kernel.config for kernel in pool]
    assert {c.dtype for c in configs} == {"f16", "bf16", "f8e4m3"}
    assert {(c.dtype, c.b_major) for c in configs} >= {("f16", "mn"), ("bf16", "mn"), ("f16", "k"), ("bf16", "k")}
    assert {c.cluster_shape for c in configs} == {(1, 1), (2, 1), (1, 2), (2, 2)}
    assert {c.raster_order for c in configs} == {"m", "n"}
    assert {c.tile_shape[:2] for c in configs} >= {(128, 256), (256, 128), (128, 128), (128, 64)}
    assert {kernel.passes for kernel in pool} == {(), tuple(fuzz_gpu.HEADLINE_PIPELINE)}
    assert min(c.stage_count for c in configs) == 1
    assert {c.m is None for c in configs} == {True, False}
    assert {c.mma_in_flight for c in configs} == {0, 1}


def test_few_distinct_kernels_serve_every_case() -> None:
    kernels = {case.kernel for case in CASES}
    assert len(kernels) <= 20, len(kernels)
    assert kernels == set(fuzz_gpu.kernel_pool(0))


def test_sizes_reach_the_edges_of_tiles() -> None:
    dynamic = [c for c in CASES if c.kernel.config.m is None]
    assert all(1 <= size <= fuzz_gpu.MAX_SIZE for c in CASES for size in (c.m, c.n, c.k))
    assert any(c.m == 1 for c in dynamic)
    for offset in (-1, 0, 1):
        assert any(c.m == c.kernel.config.tile_shape[0] + offset for c in dynamic), offset
        assert any(c.k == c.kernel.config.tile_shape[2] + offset for c in dynamic if not c.aligned), offset
        assert any(c.n == c.kernel.config.tile_shape[1] + offset for c in dynamic if not c.aligned), offset
    assert max(c.m for c in CASES) > 4000 and max(c.k for c in CASES) > 4000


def test_shares_of_static_and_misaligned_cases() -> None:
    static = sum(c.kernel.config.m is not None for c in CASES)
    misaligned = sum(not c.aligned for c in CASES)
    assert 40 <= static <= 130, static
    assert 50 <= misaligned <= 150, misaligned
    assert all(c.aligned for c in CASES if c.kernel.config.m is not None)
    per_dtype = Counter(c.dtype for c in CASES)
    assert min(per_dtype.values()) >= 200, per_dtype


@pytest.mark.parametrize("dtype, b_major, n, k, aligned", [
    ("bf16", "k", 8, 8, True), ("bf16", "k", 8, 12, False), ("bf16", "k", 12, 8, False),
    ("f8e4m3", "k", 8, 16, True), ("f8e4m3", "k", 8, 8, False), ("f16", "mn", 8, 8, True),
])
def test_alignment_rule(dtype, b_major, n, k, aligned) -> None:
    config = fuzz_gpu.GemmConfig(m=None, n=None, k=None, dtype=dtype, b_major=b_major)
    assert fuzz_gpu.tma_aligned(config, n, k) is aligned


def test_tolerance_catches_a_missing_k_tile() -> None:
    # Dropping one of K/64 k-tiles of random data costs a relative error of about
    # sqrt(64/K): at K = 5000 that is 0.11, far above the largest tolerance.
    assert fuzz_gpu.tolerance("bf16", 5000) < 0.02
    assert fuzz_gpu.tolerance("f16", 64) < fuzz_gpu.tolerance("bf16", 64)


FAKE_WORKER = textwrap.dedent("""
    import json, os, sys, time
    for line in sys.stdin:
        index = json.loads(line)["index"]
        if index == 2:
            os._exit(7)  # dies without answering
        if index == 4:
            time.sleep(60)  # hangs
        if index == 6:
            print(json.dumps({"outcome": "fault", "detail": "CUDA error: illegal instruction"}), flush=True)
            sys.exit(3)
        print(json.dumps({"outcome": "ok" if index != 8 else "wrong", "relative_error": 0.5, "tolerance": 0.01}),
              flush=True)
""")


@pytest.fixture
def fake_worker(tmp_path):
    path = tmp_path / "fake_worker.py"
    path.write_text(FAKE_WORKER)
    return [sys.executable, str(path)]


@pytest.mark.parametrize("workers", [1, 2])
def test_workers_are_restarted_after_a_crash_a_hang_and_a_fault(fake_worker, tmp_path, workers) -> None:
    cases = CASES[:10]
    seen = []
    results, started = fuzz_gpu.run_cases(cases, fake_worker, workers, timeout=3, max_faults=10,
                                          log_dir=tmp_path, on_result=lambda c, r: seen.append(c.index))
    outcomes = {index: result["outcome"] for index, result in results.items()}
    assert outcomes == {0: "ok", 1: "ok", 2: "fault", 3: "ok", 4: "hang", 5: "ok", 6: "fault", 7: "ok",
                        8: "wrong", 9: "ok"}
    assert sorted(seen) == list(range(10))
    assert "exit status 7" in results[2]["detail"] and "illegal instruction" in results[6]["detail"]
    assert started == workers + 3 if workers == 1 else workers + 1 <= started <= workers + 3


def test_the_run_stops_after_max_faults(fake_worker, tmp_path) -> None:
    results, _ = fuzz_gpu.run_cases(CASES[:10], fake_worker, 1, timeout=3, max_faults=1, log_dir=tmp_path)
    assert sorted(results) == [0, 1, 2]
    assert fuzz_gpu.failed(results, expected=10)


def test_report_counts_outcomes_per_dtype_and_names_failures(fake_worker, tmp_path) -> None:
    cases = CASES[:10]
    results, _ = fuzz_gpu.run_cases(cases, fake_worker, 1, timeout=3, max_faults=10, log_dir=tmp_path)
    report = fuzz_gpu.summarize(cases, results, {"run": 1.0})
    all_row = next(line for line in report.splitlines() if line.startswith("| all |"))
    assert all_row.split(" | ")[1:5] == ["10", "6", "1", "2"]  # cases, ok, wrong, fault
    for dtype in {c.dtype for c in cases}:
        assert f"| {dtype} |" in report
    for index in (2, 4, 6, 8):
        assert f"--seed 0 --case {index}" in report
    assert "relative error 0.5 > 0.01" in report


def test_cases_round_trip_through_json() -> None:
    for case in CASES[:50]:
        assert fuzz_gpu.Case.from_json(json.loads(json.dumps(case.to_json()))) == case


def test_sanitizer_sample_is_moderate_and_aligned() -> None:
    sample = fuzz_gpu.sample_for_sanitizer(CASES, 8, seed=0)
    assert len(sample) == 8
    assert all(c.aligned and c.m * c.n * c.k <= fuzz_gpu.MEMCHECK_MAX_WORK for c in sample)
