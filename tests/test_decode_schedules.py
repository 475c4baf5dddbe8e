"""Decode schedules and the dynamic-M dispatch on the CPU: every schedule the tuner and
the heuristic can pick is legal, goes through the headline passes and is proved by
verify-pipeline; swap_ab lowers to the swapped operands and the transposed store; a
new M never times anything unless asked; the kernels compile for sm_90a with no spills."""

import os

from dataclasses import replace

import pytest

from pipeir import tune as tuner
from pipeir.analysis.protocol import verify_pipeline
from pipeir.build import gemm
from pipeir.passes import HEADLINE_PIPELINE, run_passes
from pipeir.runtime.cache import record_choice
from pipeir.target import target_for
from pipeir.target.spec import ConfigError, GemmConfig

DECODE_NK = GemmConfig(m=None, n=4096, k=14336, dtype="bf16")


@pytest.mark.parametrize("m, name", [(1, "decode"), (64, "decode"), (65, "narrow"), (128, "narrow"),
                                     (129, "medium"), (256, "medium"), (257, "wide"), (8191, "wide"),
                                     (8192, "large"), (10**6, "large")])
def test_m_classes(m, name) -> None:
    assert tuner.m_class(m) == name
    lo, hi = tuner.class_range(name)
    assert lo <= m and (hi is None or m <= hi)


def test_each_class_is_tuned_at_an_m_of_its_own() -> None:
    for _, name, at_m in tuner.M_CLASSES:
        assert tuner.m_class(at_m) == name


def test_class_range_names_the_classes() -> None:
    with pytest.raises(ValueError, match="decode, narrow, medium, wide, large"):
        tuner.class_range("tiny")


@pytest.mark.parametrize("dtype", ["bf16", "f8e4m3"])
@pytest.mark.parametrize("b_major", ["k", "mn"])
@pytest.mark.parametrize("name", ["decode", "narrow", "medium", "wide", "large"])
def test_every_bucket_schedule_is_proved(dtype, b_major, name) -> None:
    """The heuristic's schedule and every candidate tune_bucket times: legal, through the
    headline passes, protocol proved (dynamic M, as pipeir.matmul builds them). The
    element type enters the ring only through the stage count: f16 proves as bf16,
    f8e5m2 as f8e4m3."""
    if dtype.startswith("f8") and b_major == "mn":
        pytest.skip("8-bit B is K-major only")
    free = GemmConfig(m=None, n=4096, k=4096, dtype=dtype, b_major=b_major)
    schedules = [tuner.heuristic_config(free, name)]
    small = name in tuner.SMALL_M_CLASSES
    if small:
        schedules += tuner.bucket_candidates(free, name)
    assert any(s.swap_ab for s in schedules) == (b_major == "k" and small)
    for schedule in schedules:
        assert schedule.m is None
        module = gemm(schedule)
        run_passes(module, HEADLINE_PIPELINE)
        verify_pipeline(module)


def test_heuristic_decode_swaps_and_keeps_fixed_fields() -> None:
    decode = tuner.heuristic_config(DECODE_NK, "decode")
    assert decode.swap_ab and decode.pingpong and decode.tile_shape == (64, 64, 128) and decode.row_slabs
    assert decode.stages == decode.max_stages and decode.raster_order == "m"
    cooperative = tuner.heuristic_config(replace(DECODE_NK, pingpong=False), "decode")
    assert cooperative.swap_ab and not cooperative.pingpong and cooperative.tile_shape == (128, 32, 128)
    assert cooperative.raster_order == "n" and not cooperative.row_slabs
    assert decode.b_evict_first and cooperative.b_evict_first
    assert tuner.heuristic_config(replace(DECODE_NK, b_evict_first=False), "decode").b_evict_first is False
    assert not tuner.heuristic_config(replace(DECODE_NK, arch="sm_100a"), "decode").b_evict_first
    assert tuner.heuristic_config(replace(DECODE_NK, row_slabs=False), "decode").row_slabs is False
    clustered = tuner.heuristic_config(replace(DECODE_NK, cluster=(1, 2)), "decode")
    assert clustered.pingpong and clustered.row_slabs
    clustered.validate()
    assert decode.mma_shape == (4096, None, 14336)
    fixed = tuner.heuristic_config(GemmConfig(m=None, n=4096, k=4096, tile=(128, 32, 64), stages=3), "decode")
    assert fixed.tile == (128, 32, 64) and fixed.stages == 3 and not fixed.pingpong
    assert not tuner.heuristic_config(GemmConfig(m=None, n=4096, k=4096, b_major="mn"), "decode").swap_ab


def test_heuristic_narrow_pairs_ctas_over_few_weight_tiles() -> None:
    """M = 65..128: where the CTA pairs of 64-row weight tiles fit the SMs in one wave (N =
    4096) or fill two (N = 8192), swap_ab pingpong 64x64 in 1x2 clusters; elsewhere 128-row
    token tiles in 1x2 clusters, 64 weight columns where they take one wave (N = 6144) and
    128 where 64 would take two (N = 14336); in the medium class 128x128 in 2x1 clusters by
    row slabs."""
    for n in (4096, 8192):
        pairs = tuner.heuristic_config(GemmConfig(m=None, n=n, k=14336, dtype="f8e4m3"), "narrow")
        assert pairs.swap_ab and pairs.pingpong and pairs.tile_shape == (64, 64, 256)
        assert pairs.cluster_shape == (1, 2) and pairs.raster_order == "m" and pairs.stages == pairs.max_stages
        assert pairs.b_evict_first and pairs.row_slabs
    for n, name, tile, cluster, slabs in ((6144, "narrow", (128, 64, 64), (1, 2), False),
                                          (14336, "narrow", (128, 128, 64), (1, 2), False),
                                          (4096, "medium", (128, 128, 64), (2, 1), True)):
        other = tuner.heuristic_config(GemmConfig(m=None, n=n, k=4096), name)
        assert not other.swap_ab and not other.pingpong and other.tile_shape == tile
        assert other.cluster_shape == cluster and other.b_evict_first and bool(other.row_slabs) is slabs
    fixed = tuner.heuristic_config(GemmConfig(m=None, n=4096, k=4096, cluster=(2, 1)), "narrow")
    assert not fixed.swap_ab and fixed.cluster_shape == (2, 1)


@pytest.mark.parametrize("n, k, dtype, split", [(4096, 14336, "bf16", True), (4096, 4096, "bf16", False),
                                                 (8192, 8192, "bf16", False), (8192, 28672, "bf16", False),
                                                 (4096, 14336, "f8e4m3", False), (4096, 28672, "f8e4m3", True),
                                                 (2048, 12288, "f16", True)])
def test_medium_splits_k_where_tiles_are_few_and_rows_long(n, k, dtype, split) -> None:
    """M = 129..256: swap_ab 128x128 in 1x2 clusters with K split in two where the 128x128
    output tiles at M = 256 cover at most half the SMs and a weight row holds 24 KiB or
    more; else 128x128 in 2x1 clusters; a fixed tile, split or schedule keeps its own."""
    chosen = tuner.heuristic_config(GemmConfig(m=None, n=n, k=k, dtype=dtype), "medium")
    assert chosen.split_k_count == (2 if split else 1) and bool(chosen.swap_ab) is split
    assert chosen.cluster_shape == ((1, 2) if split else (2, 1)) and chosen.tile_shape[:2] == (128, 128)
    assert chosen.row_slabs and chosen.b_evict_first
    for fixed in (dict(tile=(128, 64, 64)), dict(split_k=1), dict(pingpong=False)):
        kept = tuner.heuristic_config(GemmConfig(m=None, n=n, k=k, dtype=dtype, **fixed), "medium")
        assert kept.split_k_count == 1 and not kept.swap_ab


@pytest.mark.parametrize("n, pairs", [(4224, True), (4288, False), (7552, False), (7553, True), (8448, True),
                                      (8512, False)])
def test_narrow_pairs_fit_one_wave_or_two_nearly_full(n, pairs) -> None:
    """On the H200's 132 SMs: 2 * ceil(N / 64) CTAs in one wave (N <= 4224), or two waves
    at least 90% full (238..264 CTAs)."""
    config = GemmConfig(m=None, n=n, k=4096)
    assert tuner.narrow_pairs_fit(config, target_for(config.arch)) is pairs


@pytest.mark.parametrize("n, columns", [(4288, 64), (8192, 64), (8512, 128), (14336, 128), (16896, 128),
                                        (16960, 64)])
def test_narrow_token_tile_takes_fewest_columns_per_sm(n, columns) -> None:
    """64 columns while their tiles take no more waves than 128's would (N = 16960: 265
    tiles of 64 in three waves, 133 of 128 in two: 192 columns per SM against 256)."""
    assert tuner.narrow_token_tile_n(n, target_for("sm_90a")) == columns


@pytest.mark.parametrize("arch", ["sm_90a", "sm_100a"])
@pytest.mark.parametrize("name", ["decode", "narrow", "medium", "wide", "large"])
def test_heuristic_schedules_are_legal_on_every_target(arch, name) -> None:
    """sm_100a builds neither swap_ab nor 32-wide tiles: its decode tile is 128x64."""
    for n, k in ((4096, 4096), (8192, 8192), (None, None)):
        tuner.heuristic_config(GemmConfig(m=None, n=n, k=k, arch=arch), name).validate()
    if arch == "sm_100a" and name == "decode":
        assert tuner.heuristic_config(replace(DECODE_NK, arch=arch), name).tile_shape[:2] == (128, 64)


def test_swap_ab_needs_k_major_b() -> None:
    with pytest.raises(ConfigError, match="swap_ab needs a K-major B"):
        GemmConfig(m=8, n=256, k=256, b_major="mn", swap_ab=True).validate()


@pytest.fixture
def gpu_named(monkeypatch, tmp_path):
    """A CUDA device as far as the tuner asks (its name), an empty cache, and a tuner that
    fails the test if it is ever run."""
    import torch

    monkeypatch.setenv("PIPEIR_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("PIPEIR_TUNE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda *_: "Test GPU")

    def no_tuning(*args, **kwargs):
        raise AssertionError("a tuning run was started")

    monkeypatch.setattr(tuner, "tune_bucket", no_tuning)
    monkeypatch.setattr(tuner, "tune", no_tuning)
    return monkeypatch


def test_a_new_m_takes_the_bucket_choice_or_the_heuristic_never_a_tuning_run(gpu_named) -> None:
    assert tuner.dispatch_config(DECODE_NK, 16) == tuner.heuristic_config(DECODE_NK, "decode")
    chosen = GemmConfig(m=None, n=4096, k=14336, tile=(128, 32, 64), cluster=(2, 1), raster="n", stages=9,
                        swap_ab=True, pingpong=False)  # a recorded choice says which schedule it is
    record_choice(tuner.bucket_key(DECODE_NK, "decode", "Test GPU"), chosen, 0.05, tried=48)
    for m in (1, 7, 64):
        assert tuner.dispatch_config(DECODE_NK, m) == chosen
    assert tuner.dispatch_config(DECODE_NK, 65) == tuner.heuristic_config(DECODE_NK, "narrow")
    gpu_named.setenv("PIPEIR_TUNE", "0")
    assert tuner.dispatch_config(DECODE_NK, 16) == tuner.heuristic_config(DECODE_NK, "decode")


def test_a_choice_tuned_for_another_range_of_m_is_not_taken(gpu_named) -> None:
    """The bucket key names the class's M range: a narrow choice recorded when narrow meant
    M = 65..256 does not serve M = 65..128."""
    key = tuner.bucket_key(DECODE_NK, "narrow", "Test GPU")
    assert "M narrow 65..128|" in key
    chosen = GemmConfig(m=None, n=4096, k=14336, tile=(128, 128, 64), cluster=(1, 1), raster="m", stages=6,
                        swap_ab=False, pingpong=False)
    record_choice(key.replace("65..128", "65..256"), chosen, 0.05, tried=48)
    assert tuner.dispatch_config(DECODE_NK, 100) == tuner.heuristic_config(DECODE_NK, "narrow")
    record_choice(key, chosen, 0.05, tried=48)
    assert tuner.dispatch_config(DECODE_NK, 100) == chosen


def test_tuning_runs_only_when_asked(gpu_named) -> None:
    static = GemmConfig(m=512, n=512, k=512)
    assert tuner.tuned_config(static) == static  # no cache: the defaults, no tuning run
    with pytest.raises(AssertionError, match="tuning run"):
        tuner.tuned_config(static, tune_now=True)
    gpu_named.setenv("PIPEIR_TUNE", "1")
    with pytest.raises(AssertionError, match="tuning run"):
        tuner.dispatch_config(DECODE_NK, 16)


def test_static_and_swapped_choices_do_not_share_a_key() -> None:
    static = GemmConfig(m=16, n=4096, k=4096)
    assert tuner.tuning_key(static, "G") != tuner.tuning_key(GemmConfig(m=16, n=4096, k=4096, swap_ab=True), "G")


def test_swap_ab_lowers_to_swapped_operands_and_a_transposed_store() -> None:
    pytest.importorskip("cutlass")
    from pipeir.lower import lower_module

    module = gemm(GemmConfig(m=None, n=4096, k=4096, tile=(128, 32, 64), swap_ab=True))
    run_passes(module, HEADLINE_PIPELINE)
    source = lower_module(module)
    assert "PROBLEM = (None, 4096, 4096)" in source  # the product's (M, N, K): the caller's tensors
    assert "MAINLOOP.kernel_params(mB, mA)" in source
    assert "transposed=True" in source and "SCHEDULER.grid(EPILOGUE.d_of(mC))" in source
    plain = lower_module(gemm(GemmConfig(m=None, n=4096, k=4096, tile=(128, 32, 64))))
    assert "MAINLOOP.kernel_params(mA, mB)" in plain and "transposed=False" in plain


def test_decode_schedules_of_a_fused_epilogue_swap_too() -> None:
    """issue 15: rowwise-scaled fp8 decode runs swap_ab, its epilogue read transposed."""
    fused = GemmConfig(m=None, n=4096, k=4096, dtype="f8e4m3", scale="rowwise", bias=True, activation="silu")
    assert tuner.heuristic_config(fused, "decode").swap_ab
    assert any(candidate.swap_ab for candidate in tuner.bucket_candidates(fused, "decode"))


SASS_CASES = {
    "bf16-swap_ab-128x16": GemmConfig(m=None, n=None, k=None, dtype="bf16", tile=(128, 16, 64), swap_ab=True),
    "f8e4m3-swap_ab-128x64-2x1": GemmConfig(m=None, n=4096, k=4096, dtype="f8e4m3", tile=(128, 64, 128),
                                            cluster=(2, 1), swap_ab=True),
    "f16-swap_ab-256x32-static-m1": GemmConfig(m=1, n=4096, k=4096, dtype="f16", tile=(256, 32, 64),
                                               swap_ab=True),
    "bf16-128x32-2x2": GemmConfig(m=None, n=None, k=None, dtype="bf16", tile=(128, 32, 64), cluster=(2, 2)),
    "f8e4m3-swap_ab-128x16-rowwise-bias-silu": GemmConfig(m=None, n=None, k=None, dtype="f8e4m3",
                                                          tile=(128, 16, 128), swap_ab=True, scale="rowwise",
                                                          bias=True, activation="silu"),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", list(SASS_CASES))
def test_decode_schedules_compile_for_sm90a_without_spills(case, tmp_path) -> None:
    os.environ.setdefault("CUTE_DSL_ARCH", "sm_90a")
    pytest.importorskip("cutlass")
    from pipeir.lower import lower_module
    from pipeir.runtime.sources import load_kernel_module
    from pipeir.tools import stats as sass_stats

    try:
        sass_stats.find_nvdisasm()
    except sass_stats.MissingDisassembler as missing:  # the wheel is installed by `make test`
        pytest.skip(str(missing))
    module = gemm(SASS_CASES[case])
    run_passes(module, HEADLINE_PIPELINE)
    python_module = load_kernel_module(lower_module(module), tmp_path)
    (only,) = sass_stats.stats_for_module(python_module, dump_dir=str(tmp_path / "dump")).values()
    assert only.gmma > 0 and only.utmaldg > 0 and only.utmastg > 0
    assert only.spills == 0 and only.frame_size == 0


NAIVE_CASES = {
    "bf16-swap_ab-dynamic-serial": GemmConfig(m=None, n=None, k=None, dtype="bf16", tile=(128, 32, 64),
                                              swap_ab=True, mma_in_flight=0),
    "f8e4m3-swap_ab-k-tail-2x1": GemmConfig(m=16, n=4096, k=1000, dtype="f8e4m3", tile=(128, 16, 128),
                                            cluster=(2, 1), swap_ab=True),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", list(NAIVE_CASES))
def test_naive_decode_schedules_compile(case, tmp_path) -> None:
    """The naive form too (the GPU fuzzer runs every form): its guarded loops are where a
    lowering rule valid only in some control flow fails CuTe DSL's verifier."""
    os.environ.setdefault("CUTE_DSL_ARCH", "sm_90a")
    pytest.importorskip("cutlass")
    from pipeir.lower import lower_module
    from pipeir.runtime.sources import load_kernel_module

    # The arch given, as pipeir.runtime.objects does: another test may have loaded CuTe DSL
    # before this one set CUTE_DSL_ARCH.
    load_kernel_module(lower_module(gemm(NAIVE_CASES[case])), tmp_path).compile_kernel(
        "--enable-tvm-ffi", "--gpu-arch sm_90a")
