"""The per-architecture targets: one home for legality and the shared-memory budget,
asked alike by GemmConfig, the builder, the IR verifier and the tuner."""

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from xdsl.utils.exceptions import VerifyException

from pipeir.analysis.interp import consumer_waits, kernel_of, trace_kernel
from pipeir.build import gemm
from pipeir.dialects import pipe
from pipeir.target import TARGETS, ConfigError, target_for
from pipeir.target.sm90 import SM90
from pipeir.target.spec import GemmConfig

BF16 = GemmConfig(m=4096, n=4096, k=4096, dtype="bf16", tile=(128, 256, 64))


def test_unknown_arch_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="arch must be one of sm_90a, sm_100a, got 'sm_80'"):
        target_for("sm_80")
    with pytest.raises(ConfigError, match="arch must be one of"):
        replace(BF16, arch="sm_80").validate()


def test_sm90_shared_memory_formula() -> None:
    # 4 stages of (128 + 256) x 64 bf16, a 128x32 bf16 epilogue tile x 4, 1 KiB reserve.
    assert SM90.stage_bytes(BF16) == 49152
    assert SM90.epilogue_tile(BF16) == (128, 32)
    assert SM90.epilogue_bytes(BF16) == 128 * 32 * 2 * SM90.EPILOGUE_STAGES == 32768
    assert SM90.max_stages(BF16) == (232448 - 1024 - 32768) // 49152 == 4
    assert SM90.smem_bytes(BF16) == 4 * 49152 + 32768 + 1024 <= SM90.SMEM_CAPACITY
    narrow = replace(BF16, tile=(128, 64, 64))
    assert SM90.epilogue_tile(narrow) == (128, 32)
    fp8 = replace(BF16, dtype="f8e4m3", tile=(128, 128, 128))
    assert SM90.stage_bytes(fp8) == 32768 and SM90.max_stages(fp8) == 6


@pytest.mark.parametrize(
    "change, reason",
    [
        (dict(tile=(64, 64, 64)), "tile 64x64x64 cannot be built on sm_90a"),
        (dict(tile=(256, 256, 64)), "not 256x256"),
        (dict(tile=(128, 128, 40)), "tile_k 40: must be a multiple of 16 (the wgmma K atom)"),
        (dict(tile=(128, 128, 0)), "tile_k 0"),
        (dict(stages=9), "9 stages of 49152 bytes do not fit"),
        (dict(stages=0), "stages must be in 1..12, got 0"),
        (dict(cluster=(4, 1)), "cluster 4x1 is not one of 1x1, 2x1, 1x2, 2x2 on sm_90a"),
        (dict(dtype="f8e4m3", tile=(128, 256, 128), b_major="mn"), "8-bit B must be K-major"),
        (dict(out_dtype="f8e4m3"), "out dtype must be one of f16, bf16, f32 on sm_90a"),
        (dict(dtype="f32"), "dtype must be one of f16, bf16, f8e4m3, f8e5m2 on sm_90a, got 'f32'"),
        (dict(m=2**31), "m must be in 1..2147483647"),
        (dict(stages=1, mma_in_flight=1), "mma_in_flight 1 needs more than 1 stage(s)"),
        (dict(mma_in_flight=2), "mma_in_flight must be in 0..1, got 2"),
        (dict(warp_specialize=False, mma_in_flight=1), "mma_in_flight must be 0 without warp specialization"),
    ],
)
def test_the_target_refuses_with_its_reason(change, reason) -> None:
    config = replace(BF16, **change)
    with pytest.raises(ConfigError, match=reason.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        config.validate()
    with pytest.raises(ConfigError):
        gemm(config)


def test_mma_in_flight_defaults_to_one_where_legal() -> None:
    assert BF16.mma_in_flight_count == 1
    assert replace(BF16, stages=1).mma_in_flight_count == 0
    assert replace(BF16, warp_specialize=False).mma_in_flight_count == 0


def test_each_target_offers_tuner_tiles_it_accepts() -> None:
    for target in TARGETS.values():
        for dtype in target.OPERAND_DTYPES:
            assert target.default_tile(dtype) == target.candidate_tiles(dtype)[0]
            for tile in target.candidate_tiles(dtype):
                target.check_tile(tile, dtype)


def test_sm100_has_its_own_tiles_and_warps() -> None:
    config = replace(BF16, arch="sm_100a", tile=(128, 256, 64), stages=2, cluster=(2, 1))
    config.validate()
    kernel = kernel_of(gemm(config))
    assert {role.kind.data: role.warps.value.data for role in kernel.roles} == {"producer": 1, "consumer": 4}
    # a 2-CTA UMMA reads half of B's rows from each CTA of the pair
    assert target_for("sm_100a").stage_bytes(config) == (128 + 128) * 64 * 2
    assert target_for("sm_100a").stage_bytes(replace(config, cluster=(1, 2))) == (128 + 256) * 64 * 2
    with pytest.raises(ConfigError, match="not 256x256"):
        replace(config, arch="sm_90a", tile=(256, 256, 64)).validate()


@st.composite
def configs(draw) -> GemmConfig:
    arch = draw(st.sampled_from(sorted(TARGETS)))
    target = TARGETS[arch]
    dtype = draw(st.sampled_from(target.OPERAND_DTYPES))
    warp_specialize = draw(st.booleans())
    return GemmConfig(
        m=draw(st.sampled_from([None, 1, 300, 4096])),
        n=draw(st.sampled_from([None, 64, 1000])),
        k=draw(st.sampled_from([None, 64, 4000])),
        dtype=dtype,
        out_dtype=draw(st.sampled_from([None, *target.OUTPUT_DTYPES])),
        tile=draw(st.sampled_from([None, *target.candidate_tiles(dtype), (64, 64, 64)])),
        stages=draw(st.sampled_from([None, 1, 2, 5, 13])),
        cluster=draw(st.sampled_from([None, *target.CLUSTER_SHAPES, (4, 1)])),
        raster=draw(st.sampled_from([None, "m", "n"])),
        arch=arch,
        b_major=draw(st.sampled_from(["k", "mn"])),
        warp_specialize=warp_specialize,
        mma_in_flight=draw(st.sampled_from([None, 0, 1])),
    )


def skeleton(config: GemmConfig) -> pipe.KernelOp:
    """The kernel of `config` as far as pipe.kernel's verifier reads it: properties,
    the ring, the roles (with their target's warps), and an mma_wait leaving
    `mma_in_flight` batches running."""
    kernel = pipe.KernelOp(
        config.name, arch=config.arch, a_dtype=config.dtype, b_dtype=config.dtype, c_dtype=config.c_dtype,
        tile=config.tile_shape, cluster=config.cluster_shape, problem=(config.m, config.n, config.k),
        b_major=config.b_major, raster=config.raster,
    )
    target = target_for(config.arch)
    kinds = ("producer", "consumer") if config.warp_specialize else ("mainloop",)
    kernel.body.block.add_op(pipe.PipelineOp(config.stage_count))
    for kind in kinds:
        role = pipe.RoleOp(kind, target.role_warps(kind))
        if kind != "producer":
            role.body.block.add_op(pipe.MmaWaitOp(config.mma_in_flight_count))
        kernel.body.block.add_op(role)
    return kernel


@settings(max_examples=200, deadline=None)
@given(configs())
def test_the_ir_verifier_accepts_exactly_what_the_target_accepts(config: GemmConfig) -> None:
    try:
        config.validate()
        reason = None
    except ConfigError as error:
        reason = str(error)
    kernel = skeleton(config)
    if reason is None:
        kernel.verify_()
        built = kernel_of(gemm(config)).spec
        for field in ("m", "n", "k", "dtype", "c_dtype", "tile_shape", "stage_count", "cluster_shape",
                      "raster_order", "arch", "b_major", "warp_specialize", "mma_in_flight_count"):
            assert getattr(built, field) == getattr(config, field), field
    else:
        with pytest.raises(VerifyException, match="^'pipe.kernel' @gemm: "):
            kernel.verify_()


def test_both_consumer_forms_wait_for_the_same_stages() -> None:
    """The overlapped consumer reads the same k-tiles in the same stages and phases
    as the serial one; only the release of each stage moves one k-tile later."""
    for k in (64, 64 * 3, 64 * 7 + 5):
        serial = gemm(replace(BF16, m=256, n=256, k=k, stages=3, mma_in_flight=0))
        overlapped = gemm(replace(BF16, m=256, n=256, k=k, stages=3, mma_in_flight=1))
        assert consumer_waits(trace_kernel(serial)) == consumer_waits(trace_kernel(overlapped))
