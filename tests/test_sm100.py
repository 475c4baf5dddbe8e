"""The sm_100a (Blackwell, tcgen05) backend, verified without a GPU: the lowering's
shape, compiled SASS of the write-up's configuration (naive and after the headline
pipeline), a sweep over dtypes, ring depths, 1-CTA / 2-CTA UMMAs and fused epilogues with
0 spills, `pipeir-stats --arch sm_100a`, and pipeir.matmul choosing sm_100a on a B200."""

import itertools
import os
import re
from dataclasses import replace

import pytest
import torch

# CuTe DSL reads its default arch once, at the process's first compile: it stays sm_90a,
# as for the other test modules (some compile without --gpu-arch); every compile here
# asks for sm_100a with --gpu-arch.
os.environ.setdefault("CUTE_DSL_ARCH", "sm_90a")
pytest.importorskip("cutlass")

from xdsl.builder import ImplicitBuilder  # noqa: E402
from xdsl.ir import Block, Region  # noqa: E402
from xdsl.rewriter import InsertPoint, Rewriter  # noqa: E402

from pipeir import api  # noqa: E402
from pipeir.analysis.interp import kernel_of  # noqa: E402
from pipeir.analysis.protocol import verify_pipeline  # noqa: E402
from pipeir.build import gemm  # noqa: E402
from pipeir.dialects import epi, pipe  # noqa: E402
from pipeir.lower import lower_module  # noqa: E402
from pipeir.passes import HEADLINE_PIPELINE, run_passes  # noqa: E402
from pipeir.runtime import objects  # noqa: E402
from pipeir.runtime.sources import load_kernel_module  # noqa: E402
from pipeir.target import target_for  # noqa: E402
from pipeir.target.spec import ConfigError, GemmConfig  # noqa: E402
from pipeir.tools import gen  # noqa: E402
from pipeir.tools import stats as sass_stats  # noqa: E402

WRITEUP = GemmConfig(m=4096, n=4096, k=4096, dtype="f8e4m3", out_dtype="bf16", tile=(128, 128, 128), stages=8,
                     cluster=(2, 1), arch="sm_100a")
"""The write-up's configuration: a 256x128x128 UMMA tile issued by a CTA pair (pipeir's
tile is the CTA's), fp8 e4m3 -> bf16, 4096^3, 8 stages, cluster 2x1."""


def lowered(config: GemmConfig, passes=()) -> str:
    module = gemm(config)
    run_passes(module, passes)
    return lower_module(module)


def function(source: str, name: str) -> str:
    start = source.index(f"def {name}(")
    return source[start:source.index("\n\n\n", start)]


def compiled_source(source: str, tmp_path) -> sass_stats.SassStats:
    """Static SASS of a generated module, compiled for sm_100a in this process."""
    python_module = load_kernel_module(source, tmp_path / "kernels")
    (only,) = sass_stats.stats_for_module(python_module, dump_dir=str(tmp_path / "dump"), arch="sm_100a").values()
    return only


def compiled(config: GemmConfig, passes, tmp_path) -> sass_stats.SassStats:
    return compiled_source(lowered(config, passes), tmp_path)


# -- the target ----------------------------------------------------------------------------
def test_fp8_rings_are_deeper_than_bf16_at_the_same_tile_shape() -> None:
    target = target_for("sm_100a")
    bf16 = GemmConfig(m=4096, n=4096, k=4096, dtype="bf16", tile=(128, 256, 64), arch="sm_100a")
    fp8 = replace(bf16, dtype="f8e4m3")
    assert target.max_stages(fp8) > target.max_stages(bf16)
    assert target.max_stages(WRITEUP) >= 8  # the write-up's ring fits


def test_a_256_row_tile_is_refused_with_the_pair_spelled_out() -> None:
    with pytest.raises(ConfigError, match="tile_m 128 with an even cluster_m"):
        replace(WRITEUP, tile=(256, 128, 128)).validate()


def test_the_consumer_keeps_no_batch_in_flight() -> None:
    assert replace(WRITEUP, mma_in_flight=None).mma_in_flight_count == 0
    with pytest.raises(ConfigError, match="mma_in_flight must be in 0..0"):
        replace(WRITEUP, mma_in_flight=1).validate()


# -- the generated module ----------------------------------------------------------------------
def test_the_module_wires_tma_mma_and_epilogue_warps() -> None:
    source = lowered(WRITEUP, HEADLINE_PIPELINE)
    assert "TmaUmmaMainloop(" in source and "TmemTmaStoreEpilogue(" in source
    assert "two_cta=True" in source.split("EPILOGUE = ")[1].splitlines()[0]
    kernel = function(source, "gemm_kernel")
    assert "consumer(mainloop, epilogue.handed_over_by(mainloop), scheduler)" in kernel
    assert kernel.index("if mainloop.is_mma_leader():") < kernel.index("consumer(mainloop")
    assert "consumer_epilogue(mainloop, epilogue, scheduler)" in kernel


def test_the_epilogue_warps_run_the_consumers_epilogue_ops_only() -> None:
    epilogue = function(lowered(WRITEUP), "consumer_epilogue")  # naive: the epilogue's if/else stays
    assert "for tile in cutlass.range(first_tile, tile_count, tile_stride, unroll=1):" in epilogue
    assert re.search(r"if tile_full:\n\s+epilogue\.store\(m_tile, n_tile\)\n\s+else:\n\s+epilogue\.store", epilogue)
    for mainloop_op in ("mainloop.", " k_tile_count", "for k_tile", "consumer_state"):
        assert mainloop_op not in epilogue, epilogue


def test_a_fused_epilogue_is_the_epilogue_warps_work() -> None:
    """One body of the region, called by both consumer functions: the epilogue warps run
    it on the TMEM values; the MMA warp's hand-over ignores it. The host function takes
    the operands after C and the epilogue collective reads them."""
    source = lowered(replace(WRITEUP, scale="rowwise", bias=True, activation="silu"), HEADLINE_PIPELINE)
    assert source.count("def epilogue_values_0(acc, scale_a_0, scale_b_1, bias_2):") == 1
    assert "from pipeir.lower.cute import epilogue_math" in source
    store = ("epilogue.store(m_tile, n_tile, epilogue_values_0, "
             "(('scale_a', 'subtile'), ('scale_b', 'subtile'), ('bias', 'subtile')), masked=False)")
    assert store in function(source, "consumer") and store in function(source, "consumer_epilogue")
    assert "operands=(('scale_a', 'm', 'f32'), ('scale_b', 'n', 'f32'), ('bias', 'n', 'bf16'))" in source
    host = function(source, "gemm_host")
    assert "mC: cute.Tensor, epi_scale_a: cute.Tensor, epi_scale_b: cute.Tensor, epi_bias: cute.Tensor, stream" in host
    assert "EPILOGUE.kernel_params(mC, epi_scale_a, epi_scale_b, epi_bias)" in host


def test_pipeir_gen_builds_fused_sm100_kernels(capsys) -> None:
    assert gen.main(["gemm", "--arch", "sm_100a", "--dtype", "f8e4m3", "--scale", "rowwise", "--bias",
                     "--activation", "silu"]) == 0
    text = capsys.readouterr().out
    assert "#pipe<arch sm_100a>" in text and "epi.activation silu" in text


def test_naive_and_rolled_producers_mirror_the_writeup() -> None:
    naive = function(lowered(WRITEUP), "producer")
    assert naive.count("mainloop.copy('a'") == WRITEUP.stage_count + 1
    assert naive.count("mainloop.cluster_rank()") == WRITEUP.stage_count + 1  # a rank at every gate
    rolled = function(lowered(WRITEUP, HEADLINE_PIPELINE), "producer")
    assert rolled.count("mainloop.copy(") == 2
    assert rolled.count("mainloop.cluster_rank()") == 1
    assert rolled.index("mainloop.cluster_rank()") < rolled.index("for tile in")


def test_the_protocol_verifier_proves_both_forms() -> None:
    for passes in ((), HEADLINE_PIPELINE):
        module = gemm(replace(WRITEUP, m=1024, n=512))
        run_passes(module, passes)
        verify_pipeline(module)


# -- compiled (CPU, static SASS) ----------------------------------------------------------------
@pytest.mark.slow
def test_writeup_configuration_naive_and_headline(tmp_path) -> None:
    naive = compiled(WRITEUP, (), tmp_path / "naive")
    rolled = compiled(WRITEUP, HEADLINE_PIPELINE, tmp_path / "rolled")
    assert naive.utmaldg == 2 * (WRITEUP.stage_count + 1)  # per operand: each prologue stage + steady state
    assert rolled.utmaldg == 2
    assert rolled.num_k_loops == 2 and rolled.s2ur_in_k_loop == 0, rolled.s2ur_sites
    assert rolled.instructions < naive.instructions
    for kernel in (naive, rolled):
        assert kernel.umma == 128 // 32 and kernel.utmastg > 0  # one UMMA per 32-byte k-block
        assert kernel.spills == 0 and kernel.registers


def with_beta_c(module, beta: float = 0.5):
    """`module`'s plain kernel storing acc + beta * C_in instead: C_in an (M, N) operand of
    the output dtype (the builder has no option for it; the IR does)."""
    kernel = kernel_of(module)
    Rewriter.insert_op(epi.OperandOp("c_in", "mn", kernel.c_dtype_name), InsertPoint.at_start(kernel.body.block))
    for store in [op for op in module.walk() if isinstance(op, pipe.EpilogueOp)]:
        block = Block()
        with ImplicitBuilder(block):
            addend = epi.MulOp(epi.LoadOp("c_in", "mn").result, epi.ConstantOp(beta).result).result
            epi.YieldOp(epi.AddOp(epi.AccOp().result, addend).result)
        Rewriter.replace_op(store, pipe.EpilogueOp(store.m, store.n, bool(store.masked.value.data), Region(block)))
    module.verify()
    return module


EPILOGUES = {
    "plain": {},
    "rowwise_bias_silu": {"scale": "rowwise", "bias": True, "activation": "silu"},
    "tensorwise": {"scale": "tensorwise"},
    "bias_gelu": {"bias": True, "activation": "gelu"},
    "beta_c": {},  # with_beta_c
    # the row scale held for the tile (placement(tile)): place-epilogue-loads keeps every
    # load per subtile on sm_100a (no register model), but the IR may say otherwise
    "rowwise_bias_silu_held_scale_a": {"scale": "rowwise", "bias": True, "activation": "silu"},
}
PAIRED_EPILOGUES = ("plain", "rowwise_bias_silu", "tensorwise", "bias_gelu", "beta_c")
SHALLOW, DEEPEST = 2, None  # None: the deepest ring that fits beside the epilogue
PRODUCT_DTYPES = ("f16", "bf16", "f8e4m3")
TILES_N = (256, 128, 64)
CLUSTERS = {False: ((1, 1), (1, 2)), True: ((2, 1), (2, 2))}  # by 2-CTA UMMA
SWEEP = [
    # (dtype, tile, stages, cluster, epilogue): the whole product dtype x ring x 1-CTA/2-CTA
    # x epilogue (60 kernels); tiles and cluster shapes vary from one (dtype, ring, UMMA)
    # group to the next, and a group's epilogues share them (so each fused kernel has its
    # plain twin); two more kernels keep f8e5m2 and a held operand in the sweep.
    (dtype, (128, TILES_N[group % len(TILES_N)], 128 if dtype.startswith("f8") else 64), stages,
     CLUSTERS[two_cta][group % 2], epilogue)
    for group, (dtype, stages, two_cta) in enumerate(
        itertools.product(PRODUCT_DTYPES, (SHALLOW, DEEPEST), (False, True)))
    for epilogue in PAIRED_EPILOGUES
] + [
    ("f8e5m2", (128, 64, 128), DEEPEST, (2, 1), "plain"),
    ("f8e4m3", (128, 128, 128), DEEPEST, (2, 1), "rowwise_bias_silu_held_scale_a"),
]


def sweep_config(dtype, tile, stages, cluster, epilogue) -> GemmConfig:
    return GemmConfig(m=4096, n=4096, k=4096, dtype=dtype, tile=tile, stages=stages, cluster=cluster,
                      arch="sm_100a", **EPILOGUES[epilogue])


def sweep_kernel(case) -> str:
    """The generated module of a sweep case, after the headline pipeline."""
    module = gemm(sweep_config(*case))
    if case[-1] == "beta_c":
        with_beta_c(module)
    run_passes(module, HEADLINE_PIPELINE)
    if case[-1] == "rowwise_bias_silu_held_scale_a":
        for load in module.walk():
            if isinstance(load, epi.LoadOp) and load.operand_name == "scale_a":
                load.properties["placement"] = epi.PlacementAttr(epi.Placement.TILE)
    return lower_module(module)


def sweep_id(case) -> str:
    dtype, tile, stages, cluster, epilogue = case
    ring = "shallow" if stages == SHALLOW else "deepest"
    return f"{dtype}-{'x'.join(map(str, tile))}-{ring}-{'x'.join(map(str, cluster))}-{epilogue}"


def test_the_sweep_is_the_whole_product_of_its_axes() -> None:
    def axes(case):
        dtype, _, stages, _, epilogue = case
        return dtype, stages, target_for("sm_100a").two_cta(sweep_config(*case)), epilogue

    seen = {axes(case) for case in SWEEP}
    assert set(itertools.product(PRODUCT_DTYPES, (SHALLOW, DEEPEST), (False, True), PAIRED_EPILOGUES)) <= seen


def test_the_held_sweep_kernel_holds_its_row_scale() -> None:
    (case,) = [case for case in SWEEP if case[-1] == "rowwise_bias_silu_held_scale_a"]
    assert "(('scale_a', 'tile'), ('scale_b', 'subtile'), ('bias', 'subtile'))" in sweep_kernel(case)


@pytest.fixture(scope="module")
def sweep_stats(tmp_path_factory) -> dict:
    """Every sweep kernel compiled once for sm_100a, by case (about 2 s each)."""
    directory = tmp_path_factory.mktemp("sweep")
    return {case: compiled_source(sweep_kernel(case), directory / f"k{index}") for index, case in enumerate(SWEEP)}


@pytest.mark.slow
@pytest.mark.parametrize("case", SWEEP, ids=sweep_id)
def test_sweep_compiles_without_spills(case, sweep_stats) -> None:
    """Issue 16's CI sweep, the whole product dtype (f16, bf16, f8e4m3) x ring (shallow,
    deepest) x UMMA (1-CTA, 2-CTA) x epilogue (plain, rowwise scales + bias + silu,
    tensorwise scales, bias + gelu, beta * C): 60 kernels and 2 more, each compiled once
    (`sweep_stats`) for all the assertions about it."""
    dtype, tile, _, _, epilogue = case
    kernel = sweep_stats[case]
    assert kernel.spills == 0 and kernel.frame_size == 0
    assert kernel.utmaldg == 2 and kernel.umma == tile[2] // target_for("sm_100a").mma_k_atom(dtype)
    assert kernel.s2ur_in_k_loop == 0 and kernel.utmastg > 0


@pytest.mark.slow
def test_a_fused_epilogue_adds_its_work_to_its_plain_twin(sweep_stats) -> None:
    """The region is lowered, not dropped: a fused kernel has more instructions than the
    plain kernel of the same configuration (the same mainloop)."""
    plain = {case[:-1]: sweep_stats[case] for case in SWEEP if case[-1] == "plain"}
    twins = [(sweep_stats[case], plain[case[:-1]]) for case in SWEEP if case[-1] != "plain" and case[:-1] in plain]
    assert twins
    for fused, twin in twins:
        assert fused.instructions > twin.instructions


@pytest.mark.slow
@pytest.mark.parametrize("form", ["naive", "optimized"])
def test_a_dynamic_problem_with_an_mn_major_b_compiles(form, tmp_path) -> None:
    """Every mma of a dynamic kernel (under its k-tile's guard and in the else branch,
    the naive prologue's ifs around the producer) starts from its own accumulate flag."""
    config = GemmConfig(m=None, n=None, k=None, dtype="bf16", b_major="mn", cluster=(2, 1), arch="sm_100a")
    kernel = compiled(config, HEADLINE_PIPELINE if form == "optimized" else (), tmp_path)
    # K unknown: a k-tile's MMAs run under its full-tile guard, and again in its else branch
    assert kernel.spills == 0 and kernel.umma == 2 * 4
    if form == "optimized":
        assert kernel.s2ur_in_k_loop == 0


@pytest.mark.slow
def test_pipeir_stats_compiles_fused_sm100_ir(tmp_path, capsys) -> None:
    path = tmp_path / "k.mlir"
    path.write_text(str(gemm(replace(WRITEUP, tile=(128, 64, 128), stages=4, scale="rowwise", bias=True,
                                     activation="silu"))))
    assert sass_stats.main([str(path), "--arch", "sm_100a", "--json", "--dump-dir", str(tmp_path / "d")]) == 0
    out = capsys.readouterr().out
    assert '"umma": 4' in out and '"spills": 0' in out
    assert sass_stats.main([str(path), "--arch", "sm_90a"]) == 1
    assert "built for sm_100a, not --arch sm_90a" in capsys.readouterr().err


# -- dispatch on a Blackwell device ---------------------------------------------------------------
class FakeCudaTensor:
    """What pipeir.matmul reads of a tensor, on a CUDA device that is not there."""

    def __init__(self, tensor: torch.Tensor):
        self.tensor = tensor
        self.dtype, self.shape, self.device = tensor.dtype, tensor.shape, torch.device("cuda", 0)

    def dim(self):
        return self.tensor.dim()

    def stride(self):
        return self.tensor.stride()

    def element_size(self):
        return self.tensor.element_size()


def test_matmul_picks_sm100_kernels_on_a_b200(monkeypatch) -> None:
    monkeypatch.setattr(objects, "_arch_of_device", {})
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda index: (10, 0))
    built = []
    monkeypatch.setattr(api, "compile", lambda config, **options: built.append(config) or config)
    a = FakeCudaTensor(torch.empty(256, 512, dtype=torch.float8_e4m3fn))
    b = FakeCudaTensor(torch.empty(384, 512, dtype=torch.float8_e4m3fn).t())
    api._kernel_for(a, b)
    (config,) = built
    assert config.arch == "sm_100a" and config.b_major == "k"
    config.validate()
    assert "TmaUmmaMainloop(" in lowered(config, HEADLINE_PIPELINE)  # its kernel is the sm_100a backend's


def test_an_unsupported_device_is_named(monkeypatch) -> None:
    monkeypatch.setattr(objects, "_arch_of_device", {})
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda index: (8, 0))
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda index: "NVIDIA A100")
    with pytest.raises(RuntimeError, match=r"A100 \(cuda:0\) has compute capability 8.0; .*sm_100a \(B200\)"):
        objects.device_arch(torch.device("cuda", 0))

