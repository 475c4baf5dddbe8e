"""The autotuner's search space and choice cache, and the compiled-object cache, on the CPU.
(Timing candidates needs a GPU: tests/gpu/test_runtime.py.)"""

import json
import os
import subprocess
import sys
from dataclasses import replace

import pytest

pytest.importorskip("cutlass")

from pipeir.runtime.cache import read_choices, record_choice  # noqa: E402
from pipeir.target import target_for  # noqa: E402
from pipeir.target.spec import GemmConfig  # noqa: E402
from pipeir.tune import (  # noqa: E402
    Timing,
    apply_choice,
    bucket_key,
    candidates,
    dispatch_config,
    finishing_choice,
    finishing_variants,
    tuned_config,
    tuning_key,
)

FREE = GemmConfig(m=4096, n=4096, k=4096, dtype="bf16")


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("PIPEIR_CACHE_DIR", str(tmp_path))


def test_free_fields_span_tiles_clusters_and_rasters() -> None:
    found = candidates(FREE)
    assert len(found) == (3 + 2) * 4 * 2  # cooperative and pingpong tiles
    assert {c.tile for c in found if not c.pingpong} == {(128, 256, 64), (256, 128, 64), (128, 128, 64)}
    assert {c.tile for c in found if c.pingpong} == {(128, 128, 64), (128, 64, 64)}
    assert {c.cluster for c in found} == {(1, 1), (2, 1), (1, 2), (2, 2)}
    assert {c.raster for c in found} == {"m", "n"}
    assert all(c.stages == c.max_stages for c in found)
    fp8 = [c for c in candidates(replace(FREE, dtype="f8e4m3")) if not c.pingpong]
    assert {c.tile for c in fp8} == {(128, 256, 128), (256, 128, 128), (128, 128, 128), (128, 256, 64), (256, 128, 64)}
    fp8_pingpong = [c for c in candidates(replace(FREE, dtype="f8e4m3")) if c.pingpong]
    assert {c.tile for c in fp8_pingpong} == {(128, 128, 128), (128, 64, 128)}
    # a 64-deep fp8 k-tile halves the stage: twice the ring
    deep = {c.tile: c.stages for c in fp8}
    assert deep[128, 256, 64] == 2 * deep[128, 256, 128]


def test_candidates_are_the_targets() -> None:
    """The tuner's tiles and clusters are the target's: sm_100a offers 128x64 tiles, and
    deeper rings where a 2-CTA UMMA halves a CTA's share of B."""
    blackwell = replace(FREE, arch="sm_100a")
    assert {c.tile for c in candidates(blackwell)} == set(target_for("sm_100a").candidate_tiles("bf16"))
    assert not any(c.pingpong for c in candidates(blackwell))  # sm_100a builds no pingpong
    assert (128, 64, 64) in {c.tile for c in candidates(blackwell)}
    assert all(c.stages == target_for("sm_100a").max_stages(c) for c in candidates(blackwell))
    stages = {c.cluster: c.stages for c in candidates(blackwell) if c.tile == (128, 256, 64)}
    assert stages[2, 1] > stages[1, 2]


def test_fixed_fields_stay_fixed() -> None:
    fixed = replace(FREE, tile=(128, 128, 64), cluster=(2, 1), stages=3, pingpong=False)
    found = candidates(fixed)
    assert [(c.tile, c.cluster, c.stages) for c in found] == [((128, 128, 64), (2, 1), 3)] * 2
    assert finishing_variants(found[0], replace(FREE, stages=3, mma_in_flight=1, raster_group=1)) == []
    assert {c.pingpong for c in candidates(replace(fixed, pingpong=None))} == {False, True}
    deepest = candidates(FREE)[0]
    variants = finishing_variants(deepest, FREE)
    assert [(c.raster_group, c.stages, c.mma_in_flight) for c in variants] == [
        (4, deepest.stages, None), (8, deepest.stages, None),
        (None, deepest.stages - 1, None), (None, deepest.stages - 2, None), (None, deepest.stages, 0)]
    assert finishing_variants(
        replace(deepest, mma_in_flight=0), replace(FREE, stages=deepest.stages, raster_group=1)) == []


def test_key_names_device_problem_layout_and_fixed_fields() -> None:
    key = tuning_key(replace(FREE, cluster=(2, 1)), "NVIDIA H100 80GB HBM3")
    for part in ("NVIDIA H100 80GB HBM3", "sm_90a", "bf16->bf16", "4096x4096x4096", "b_major=k", "cluster=(2, 1)"):
        assert part in key
    assert tuning_key(FREE, "H100") != tuning_key(replace(FREE, b_major="mn"), "H100")


def test_choices_round_trip_through_the_cache_file(tmp_path) -> None:
    best = candidates(FREE)[5]
    record_choice("key", best, 0.2051, tried=26)
    assert json.loads((tmp_path / "tuning.json").read_text())["key"]["tried"] == 26
    assert apply_choice(FREE, read_choices()["key"]) == best
    (tmp_path / "tuning.json").write_text("{not json")
    assert read_choices() == {}


def test_without_a_gpu_the_defaults_apply() -> None:
    assert tuned_config(FREE) == FREE


def run_tune(*args: str, env=None):
    return subprocess.run([sys.executable, "-m", "pipeir.tools.tune", *args], capture_output=True, text=True,
                          env=env, check=False)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--shape", "4096x4096"], "expected MxNxK"),
        (["--shape", "0x1x1"], "expected MxNxK"),
        (["--shape", "256x256x256", "--jobs", "0"], "--jobs must be at least 1"),
        (["--shape", "256x256x256", "--dtype", "f64"], "unknown dtype 'f64'"),
        (["--shape", "256x256x256"], "needs a CUDA device"),
        (["--shape", "256x256x256", "--dtype", "f8e4m3", "--b-major", "mn"], "8-bit B must be K-major"),
    ],
)
def test_cli_errors_are_one_line(args, message) -> None:
    result = run_tune(*args)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert result.stderr.startswith("pipeir-tune: error:")


def test_compile_only_fills_the_object_cache_once(tmp_path) -> None:
    env = dict(os.environ, PIPEIR_CACHE_DIR=str(tmp_path))
    args = ["--shape", "256x256x128", "--compile-only", "--jobs", "2"]
    first = run_tune(*args, env=env)
    assert first.returncode == 0, first.stderr
    assert "40 candidates in the object cache (0 failed)" in first.stdout  # 24 cooperative, 16 pingpong
    objects = sorted((tmp_path / "objects").glob("*.o"))
    assert len(objects) == 40
    again = run_tune(*args, env=env)
    assert again.returncode == 0 and sorted((tmp_path / "objects").glob("*.o")) == objects


SECOND_PROCESS = """
import pipeir
from pipeir.target.spec import GemmConfig
print(pipeir.compile(GemmConfig(m=256, n=256, k=128, dtype="f16", tile=(128, 128, 64)), tune=False).origin)
"""


def test_a_second_process_loads_the_compiled_object(tmp_path) -> None:
    env = dict(os.environ, PIPEIR_CACHE_DIR=str(tmp_path))

    def origin() -> str:
        run = subprocess.run([sys.executable, "-c", SECOND_PROCESS], env=env, capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
        return run.stdout.strip().splitlines()[-1]

    assert origin() == "compiled"
    assert origin() == "object cache"
    (damaged,) = (tmp_path / "objects").glob("*.o")
    damaged.write_bytes(damaged.read_bytes()[:1000])
    assert origin() == "compiled"
    assert origin() == "object cache"


def test_configs_cross_to_compiler_processes_intact() -> None:
    from pipeir.target.spec import config_from_json, config_to_json

    for config in (*candidates(FREE)[:3], FREE, replace(FREE, m=None, out_dtype="f16", b_major="mn")):
        assert config_from_json(json.loads(json.dumps(config_to_json(config)))) == config


def test_a_cached_choice_fills_only_the_free_fields(monkeypatch) -> None:
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda *_: "Test GPU")
    fixed_cluster = replace(FREE, cluster=(2, 1))
    # a recorded choice says which consumer schedule it is
    choice = replace(fixed_cluster, tile=(256, 128, 64), raster="n", stages=3, pingpong=False)
    record_choice(tuning_key(fixed_cluster, "Test GPU"), choice, 0.19, tried=10)
    assert tuned_config(fixed_cluster) == choice
    monkeypatch.setenv("PIPEIR_TUNE", "0")
    assert tuned_config(fixed_cluster) == fixed_cluster
    monkeypatch.delenv("PIPEIR_TUNE")
    dynamic = replace(fixed_cluster, k=None)
    assert tuned_config(dynamic) == dynamic
    pinned = replace(choice)
    assert tuned_config(pinned) == pinned


def test_a_candidate_must_reproduce_the_reference() -> None:
    import torch

    from pipeir.tune import MAX_RELATIVE_ERROR, reference_product, relative_error

    torch.manual_seed(0)
    a, b_nk = torch.randn(64, 32), torch.randn(48, 32)
    operands = (a, b_nk, torch.empty(64, 48))
    reference = reference_product(operands, "k")
    torch.testing.assert_close(reference, reference_product((a, b_nk.t().contiguous(), None), "mn"))

    def right(a, b, c):
        c.copy_((a.bfloat16() @ b.t().bfloat16()).float())

    def writes_nothing(a, b, c):
        pass

    def transposed_b(a, b, c):
        c.copy_(a @ b[torch.randperm(b.shape[0])].t())

    assert relative_error(right, operands, reference) <= MAX_RELATIVE_ERROR
    assert not relative_error(writes_nothing, operands, reference) <= MAX_RELATIVE_ERROR
    assert relative_error(transposed_b, operands, reference) > MAX_RELATIVE_ERROR


def test_the_fastest_finishing_variant_wins_only_if_faster_than_the_best() -> None:
    best = Timing(GemmConfig(m=4096, n=4096, k=4096), 1.0)
    group4, stages3, failed = (Timing(replace(best.config, raster_group=4), 0.99),
                               Timing(replace(best.config, stages=3), 0.98),
                               Timing(replace(best.config, stages=2), None, error="compile failed"))
    assert finishing_choice(best, [group4, stages3, failed]) is stages3
    assert finishing_choice(best, [replace(group4, ms=1.03), replace(stages3, ms=1.0), failed]) is None
    assert finishing_choice(best, []) is None


FUSED = GemmConfig(m=4096, n=4096, k=4096, dtype="f8e4m3", scale="rowwise", bias=True, activation="silu")


def test_a_fused_kernel_has_its_own_tuning_keys() -> None:
    plain_key, fused_key = tuning_key(FUSED.mainloop, "H100"), tuning_key(FUSED, "H100")
    assert "epilogue=" not in plain_key and "epilogue=rowwise,bias,silu|" in fused_key
    assert tuning_key(replace(FUSED, activation="gelu"), "H100") != fused_key
    dynamic = replace(FUSED, m=None)
    assert bucket_key(dynamic, "wide", "H100") != bucket_key(dynamic.mainloop, "wide", "H100")


def test_a_fused_kernel_takes_its_own_choice_else_its_plain_products(monkeypatch) -> None:
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda *_: "Test GPU")
    plain_choice = replace(FUSED.mainloop, tile=(128, 256, 128), cluster=(2, 1), raster="m", stages=4, pingpong=False)
    record_choice(tuning_key(FUSED.mainloop, "Test GPU"), plain_choice, 0.1, tried=10)
    # not tuned with its epilogue: the plain product's choice, the epilogue kept
    assert tuned_config(FUSED) == replace(plain_choice, scale="rowwise", bias=True, activation="silu")
    fused_choice = replace(FUSED, tile=(128, 128, 128), cluster=(1, 2), raster="n", stages=6, pingpong=True)
    record_choice(tuning_key(FUSED, "Test GPU"), fused_choice, 0.1, tried=10)
    assert tuned_config(FUSED) == fused_choice
    assert tuned_config(FUSED.mainloop) == plain_choice
    # the dynamic-M kernels' buckets alike
    dynamic = replace(FUSED, m=None)
    bucket_plain = replace(dynamic.mainloop, tile=(128, 256, 128), cluster=(2, 1), raster="m", stages=4, pingpong=False)
    record_choice(bucket_key(dynamic.mainloop, "wide", "Test GPU"), bucket_plain, 0.1, tried=10)
    assert dispatch_config(dynamic, 4096).tile == (128, 256, 128)
    bucket_fused = replace(dynamic, tile=(128, 128, 128), cluster=(1, 2), raster="n", stages=6, pingpong=True)
    record_choice(bucket_key(dynamic, "wide", "Test GPU"), bucket_fused, 0.1, tried=10)
    assert dispatch_config(dynamic, 4096) == bucket_fused
