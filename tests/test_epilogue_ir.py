"""Fused epilogues without a GPU: the `epi` IR the builder emits, its meaning (the
interpreter against independent torch formulas), the placement pass, the lowering's
generated code, the API's argument checks. Compiling the kernels (0 spills at every
configuration the tuner may pick) is tests/test_epilogue_spills.py."""

import math
from dataclasses import replace

import pytest
import torch

from pipeir.analysis.interp import evaluate_epilogue, kernel_of
from pipeir.build import gemm
from pipeir.dialects import epi, pipe
from pipeir.ir import PipeirError, make_context, verify_located
from pipeir.ir import parse_module as parse_with
from pipeir.passes import HEADLINE_PIPELINE, run_passes
from pipeir.passes.place_epilogue_loads import placements
from pipeir.target import target_for
from pipeir.target.spec import ConfigError, GemmConfig

FP8 = GemmConfig(m=1000, n=1000, k=512, dtype="f8e4m3")


def parse_module(text: str):
    return parse_with(make_context(), text)


def epilogues(module) -> list[pipe.EpilogueOp]:
    return [op for op in module.walk() if isinstance(op, pipe.EpilogueOp)]


def region_ops(op: pipe.EpilogueOp) -> list[str]:
    return [inner.name for inner in op.computation.ops]


def test_plain_kernels_keep_a_regionless_epilogue() -> None:
    module = gemm(FP8)
    assert all(op.computation is None for op in epilogues(module))
    assert not epi.declared_operands(kernel_of(module))


def test_builder_emits_scale_bias_activation_in_order() -> None:
    module = gemm(replace(FP8, scale="rowwise", bias=True, activation="silu"))
    kernel = kernel_of(module)
    declared = [(op.operand_name, str(op.broadcast_kind), op.dtype_name) for op in epi.declared_operands(kernel)]
    assert declared == [("scale_a", "m", "f32"), ("scale_b", "n", "f32"), ("bias", "n", "bf16")]
    for op in epilogues(module):  # the masked and the unmasked store compute the same
        assert region_ops(op) == ["epi.acc", "epi.load", "epi.mul", "epi.load", "epi.mul", "epi.load", "epi.add",
                                  "epi.activation", "epi.yield"]
        assert {load.placement_kind for load in op.computation.ops if isinstance(load, epi.LoadOp)} == {"subtile"}


def test_tensorwise_scales_are_scalars_and_the_bias_has_the_output_dtype() -> None:
    kernel = kernel_of(gemm(replace(FP8, out_dtype="f16", scale="tensorwise", bias=True)))
    declared = [(str(op.broadcast_kind), op.dtype_name) for op in epi.declared_operands(kernel)]
    assert declared == [("scalar", "f32"), ("scalar", "f32"), ("n", "f16")]


@pytest.mark.parametrize("fields, message", [
    (dict(scale="blockwise"), "scale must be one of tensorwise, rowwise, got 'blockwise'"),
    (dict(activation="tanh"), "activation must be one of relu, gelu, gelu_tanh, silu, swiglu, got 'tanh'"),
    (dict(bias=1), "bias must be True or False, got 1"),
    (dict(activation="swiglu", n=1001), "swiglu pairs the product's columns, so N must be even, got 1001"),
    (dict(activation="swiglu", m=16, swap_ab=True, tile=(128, 16, 128)),
     "swiglu is not built with swap_ab: the product's column pairs are then the MMA's rows, which no thread "
     "holds together"),
    (dict(activation="swiglu", arch="sm_100a", tile=(128, 128, 128)),
     r"swiglu is not built for sm_100a: its epilogue has no half-width \(gated\) store"),
])
def test_bad_epilogue_fields_are_one_line_config_errors(fields, message) -> None:
    with pytest.raises(ConfigError, match=f"^{message}$"):
        replace(FP8, **fields).validate()


def test_the_decode_schedules_of_swiglu_run_unswapped() -> None:
    """The tuner's choice is the plain product's (swap_ab at decode M): a gated epilogue
    takes it unswapped, and the untuned heuristic does not swap it."""
    from pipeir.tune import apply_choice, heuristic_config

    gated = GemmConfig(m=None, n=4096, k=4096, dtype="f8e4m3", scale="rowwise", activation="swiglu")
    assert not heuristic_config(gated, "decode").swap_ab
    assert heuristic_config(replace(gated, activation="silu"), "decode").swap_ab
    choice = dict(tile=(128, 64, 128), cluster=(1, 1), raster="m", stages=8, swap_ab=True)
    chosen = apply_choice(gated, choice)
    chosen.validate()
    assert not chosen.swap_ab and apply_choice(replace(gated, activation="silu"), choice).swap_ab


def test_swiglu_builds_the_gate_after_the_scales_and_the_bias() -> None:
    kernel = kernel_of(gemm(replace(FP8, scale="rowwise", bias=True, activation="swiglu")))
    (epilogue, *_) = epilogues(kernel)
    assert [op.name for op in epilogue.computation.ops] == [
        "epi.acc", "epi.load", "epi.mul", "epi.load", "epi.mul", "epi.load", "epi.add", "epi.swiglu", "epi.yield"]
    # the operands are the N-wide product's
    declared = [(op.operand_name, str(op.broadcast_kind)) for op in epi.declared_operands(kernel)]
    assert declared == [("scale_a", "m"), ("scale_b", "n"), ("bias", "n")]
    assert epi.gate_of(kernel) is not None


def test_the_epilogue_round_trips_through_text_and_the_headline_passes() -> None:
    module = gemm(replace(FP8, scale="rowwise", bias=True, activation="gelu_tanh"))
    text = str(module)
    assert str(parse_module(text)) == text
    run_passes(module, HEADLINE_PIPELINE)
    verify_located(module)
    for kept in epilogues(module):  # 1000 is not a whole number of tiles: both stores stay
        assert region_ops(kept)[-2:] == ["epi.activation", "epi.yield"]


# -- meaning -------------------------------------------------------------------------------

def reference(acc, operands, activation):
    """activation(acc * scale_a * scale_b + bias), written out independently of pipeir."""
    out = acc.clone()
    if "scale_a" in operands:
        out = out * operands["scale_a"].reshape(-1, 1) * operands["scale_b"].reshape(1, -1) \
            if operands["scale_a"].numel() > 1 else out * operands["scale_a"] * operands["scale_b"]
    if "bias" in operands:
        out = out + operands["bias"].float()[None, :]
    formulas = {
        None: lambda x: x,
        "relu": lambda x: torch.where(x > 0, x, torch.zeros_like(x)),
        "gelu": lambda x: x * 0.5 * (1 + torch.special.erf(x / math.sqrt(2))),
        "gelu_tanh": lambda x: torch.nn.functional.gelu(x, approximate="tanh"),
        "silu": torch.nn.functional.silu,
    }
    return formulas[activation](out)


@pytest.mark.parametrize("scale", [None, "tensorwise", "rowwise"])
@pytest.mark.parametrize("activation", [None, "relu", "gelu", "gelu_tanh", "silu"])
def test_interpreter_computes_the_fused_product(scale, activation) -> None:
    m, n = 37, 24
    config = replace(FP8, m=m, n=n, scale=scale, bias=True, activation=activation)
    (op, _) = epilogues(gemm(config))
    generator = torch.Generator().manual_seed(0)
    acc = torch.randn(m, n, generator=generator) * 3
    operands = {"bias": torch.randn(n, generator=generator).bfloat16()}
    if scale == "rowwise":
        operands |= {"scale_a": torch.rand(m, generator=generator), "scale_b": torch.rand(n, generator=generator)}
    elif scale == "tensorwise":
        operands |= {"scale_a": torch.rand(1, generator=generator), "scale_b": torch.rand(1, generator=generator)}
    expected = reference(acc, operands, activation)
    torch.testing.assert_close(evaluate_epilogue(op, acc, operands), expected, rtol=1e-6, atol=1e-6)
    # a block of the product: rows 10..19, columns 8..15 see the operands at those rows and columns
    rows, columns = torch.arange(10, 20), torch.arange(8, 16)
    block = evaluate_epilogue(op, acc[10:20, 8:16], operands, rows, columns)
    torch.testing.assert_close(block, expected[10:20, 8:16], rtol=1e-6, atol=1e-6)


def parse_epilogue(body: str, declarations: str = "", n: int = 64) -> pipe.EpilogueOp:
    text = f"""
pipe.kernel @k attributes {{arch = #pipe<arch sm_90a>, a_dtype = bf16, b_dtype = bf16, c_dtype = bf16,
    tile = array<i64: 128, 64, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 16, {n}, 64>,
    a_major = #pipe<major k>, b_major = #pipe<major k>}} {{
  {declarations}
  %p = pipe.pipeline stages(2)
  pipe.role producer warps(1) {{
  ^bb0:
  }}
  pipe.role consumer warps(8) {{
    %m = arith.constant 0 : index
    pipe.epilogue %m, %m masked(false) {{
      {body}
    }}
  }}
}}"""
    module = parse_module(text)
    verify_located(module)
    (op,) = epilogues(module)
    return op


def test_beta_times_c_and_swiglu_mean_what_they_say() -> None:
    op = parse_epilogue(
        """%acc = epi.acc
      %c = epi.load @c0 broadcast(mn) placement(subtile)
      %beta = epi.constant 5.000000e-01
      %bc = epi.mul %c, %beta
      %x = epi.add %acc, %bc
      %g = epi.swiglu %x
      epi.yield %g""",
        "epi.operand @c0 broadcast(mn) : f32",
    )
    acc, c = torch.randn(16, 64), torch.randn(16, 64)
    x = acc + 0.5 * c
    expected = torch.nn.functional.silu(x[:, 0::2]) * x[:, 1::2]
    torch.testing.assert_close(evaluate_epilogue(op, acc, {"c0": c}), expected)


def test_epi_ops_outside_an_epilogue_are_refused() -> None:
    text = str(gemm(FP8)).replace("pipe.acc_init", "%stray = epi.acc\n          pipe.acc_init", 1)
    with pytest.raises(PipeirError, match="'epi.acc' expects parent op 'pipe.epilogue'"):
        verify_located(parse_module(text))


# -- placement -----------------------------------------------------------------------------

@pytest.mark.parametrize("tile, held", [
    ((128, 256, 128), {"scale_a"}),
    ((256, 128, 128), {"scale_a"}),
    ((128, 128, 128), {"scale_a", "scale_b", "bias"}),
])
def test_placement_holds_what_the_register_budget_allows(tile, held) -> None:
    module = gemm(replace(FP8, m=4096, n=4096, k=4096, tile=tile, scale="rowwise", bias=True))
    run_passes(module, ("place-epilogue-loads",))
    for op in epilogues(module):
        loads = [load for load in op.computation.ops if isinstance(load, epi.LoadOp)]
        assert {load.operand_name for load in loads if load.placement_kind == "tile"} == held
    kernel = kernel_of(module)
    spec = kernel.spec
    target = target_for(spec.arch)
    used = sum(target.held_operand_registers(spec, "m" if name == "scale_a" else "n") for name in held)
    assert used <= target.epilogue_register_budget(spec)


def test_placement_reasons_name_each_operand() -> None:
    module = gemm(replace(FP8, m=4096, n=4096, k=4096, scale="rowwise"))
    (op, *_) = epilogues(module)
    loads = [load for load in op.computation.ops if isinstance(load, epi.LoadOp)]
    chosen, reasons = placements(kernel_of(module), loads)
    assert chosen == {"scale_a": "tile", "scale_b": "subtile"}
    assert reasons == [
        "@scale_a (m): tile (holds 2 register(s) per thread; 30 of 32 left)",
        "@scale_b (n): subtile (holding it needs 64 register(s) per thread, 30 of 32 left)",
    ]


def test_under_swap_ab_a_per_row_operand_of_c_costs_a_column_vector_of_the_tile() -> None:
    """The tile is C^T's: scale_a (one per row of C) runs along its 64 columns (16
    registers), scale_b and the bias along its rows (2 each)."""
    module = gemm(replace(FP8, m=16, n=4096, k=4096, tile=(128, 64, 128), swap_ab=True, scale="rowwise",
                          bias=True))
    (op, *_) = epilogues(module)
    loads = [load for load in op.computation.ops if isinstance(load, epi.LoadOp)]
    _, reasons = placements(kernel_of(module), loads)
    assert reasons == [
        "@bias (n): tile (holds 2 register(s) per thread; 126 of 128 left)",
        "@scale_b (n): tile (holds 2 register(s) per thread; 124 of 128 left)",
        "@scale_a (m): tile (holds 16 register(s) per thread; 108 of 128 left)",
    ]


def test_a_kernel_without_an_epilogue_region_is_left_alone() -> None:
    from pipeir.ir import make_context
    from pipeir.passes.place_epilogue_loads import PlaceEpilogueLoadsPass

    module = gemm(FP8)
    before = str(module)
    placement = PlaceEpilogueLoadsPass()
    placement.apply(make_context(), module)
    assert str(module) == before
    assert placement.statistics() == ["no epilogue loads an operand"]


def test_without_a_register_model_loads_stay_per_subtile(monkeypatch) -> None:
    # A target that states no register budget (sm_100a's epilogue runs on other warps)
    # gets every load per subtile.
    monkeypatch.setattr(type(target_for("sm_90a")), "epilogue_register_budget", lambda self, spec: None)
    module = gemm(replace(FP8, scale="rowwise"))
    run_passes(module, ("place-epilogue-loads",))
    assert all(load.placement_kind == "subtile" for load in module.walk() if isinstance(load, epi.LoadOp))


# -- lowering (source only; compiled in test_epilogue_spills.py) -----------------------------

cutlass = pytest.importorskip("cutlass")


def lowered(config: GemmConfig) -> str:
    from pipeir.lower import lower_module

    module = gemm(config)
    run_passes(module, HEADLINE_PIPELINE)
    return lower_module(module)


def test_generated_module_holds_the_body_and_the_wiring() -> None:
    source = lowered(replace(FP8, m=4096, n=4096, k=4096, scale="rowwise", bias=True, activation="silu"))
    assert "def epilogue_values_0(acc, scale_a_0, scale_b_1, bias_2):" in source
    assert "    v0 = acc * scale_a_0\n    v1 = v0 * scale_b_1\n    v2 = v1 + bias_2\n" in source
    assert "    v3 = epilogue_math.silu(v2)\n    return v3\n" in source
    loads = "(('scale_a', 'tile'), ('scale_b', 'subtile'), ('bias', 'subtile'))"
    # the first reads are issued before the tile's K loop (`pipe.epilogue ... prefetch`) and handed to the store
    first_reads = f"prefetched = epilogue.first_reads(m_tile, n_tile, {loads}, masked=False)"
    consumer = source[source.index("def consumer("):]
    k_loop = "for k_tile in cutlass.range("
    assert consumer.index("m_tile, n_tile = scheduler.tile_coords(") < consumer.index(first_reads) < consumer.index(k_loop)
    assert f"epilogue.store(m_tile, n_tile, epilogue_values_0, {loads}, masked=False, prefetched=prefetched)" in source
    assert ("def gemm_host(mA: cute.Tensor, mB: cute.Tensor, mC: cute.Tensor, epi_scale_a: cute.Tensor, "
            "epi_scale_b: cute.Tensor, epi_bias: cute.Tensor, stream: cuda.CUstream):") in source
    assert source.count("def epilogue_values") == 1


def test_an_edge_kernel_shares_one_body_between_its_two_stores() -> None:
    source = lowered(replace(FP8, bias=True, activation="relu"))
    assert source.count("def epilogue_values") == 1
    assert source.count("epilogue.store(m_tile, n_tile, epilogue_values_0,") == 2
    # the edge tile's store clamps its operand reads into M x N, the full tile's does not; the
    # reads both share, made before the K loop, clamp (the tile's kind is known only after it)
    assert source.count("masked=True, prefetched=prefetched)") == 1
    assert source.count("masked=False, prefetched=prefetched)") == 1
    assert source.count("prefetched = epilogue.first_reads(") == 1
    assert source.split("prefetched = epilogue.first_reads(")[1].split("\n")[0].endswith("masked=True)")


def test_reads_after_the_accumulator_wait_without_prefetch() -> None:
    from pipeir.lower import lower_module

    module = gemm(replace(FP8, m=4096, n=4096, k=4096, scale="rowwise"))
    run_passes(module, (*HEADLINE_PIPELINE[:-1], "place-epilogue-loads{prefetch=false}"))
    source = lower_module(module)
    assert "first_reads" not in source and "prefetched" not in source
    assert "('scale_b', 'subtile')), masked=False)" in source


def test_swiglu_lowers_on_sm90_to_a_gated_half_width_store() -> None:
    source = lowered(replace(FP8, n=1024, scale="rowwise", bias=True, activation="swiglu", out_dtype="f32"))
    assert "    v3 = epilogue_math.swiglu(v2)\n    return v3" in source
    assert "gated=True" in source and "c_dtype='f32'" in source


def with_gate_for_silu(config: GemmConfig):
    """The kernel of `config` (with a silu) whose `epi.activation silu` became an `epi.swiglu`:
    IR that the builder refuses to make, as a user may write it."""
    from xdsl.rewriter import Rewriter

    module = gemm(replace(config, activation="silu"))
    for op in list(module.walk()):
        if isinstance(op, epi.ActivationOp):
            Rewriter.replace_op(op, epi.SwigluOp(op.input))
    return module


@pytest.mark.parametrize("config, rule", [
    (replace(FP8, arch="sm_100a", tile=(128, 128, 128)), r"its epilogue has no half-width \(gated\) store"),
    (replace(FP8, m=16, swap_ab=True, tile=(128, 16, 128)), "not built with swap_ab: the product's column pairs"),
    (replace(FP8, tile=(128, 128, 128), split_k=2), "not built with split_k: its reduction counts"),
], ids=["sm100", "swap_ab", "split_k"])
def test_swiglu_is_refused_where_it_is_not_lowered_with_its_location(config, rule) -> None:
    from pipeir.lower import lower_module

    module = with_gate_for_silu(config)
    with pytest.raises(PipeirError, match=f"^<unknown>|.*: error: cannot lower 'epi.swiglu': .*{rule}") as error:
        lower_module(module)
    assert "cannot lower 'epi.swiglu'" in str(error.value) and "\n" not in str(error.value)


# -- API checks (no GPU: every check runs before the device is asked) -------------------------

def fp8(*shape):
    return torch.zeros(*shape, dtype=torch.float8_e4m3fn)


@pytest.mark.parametrize("scale_a, scale_b, message", [
    (torch.ones(256), torch.ones(256), r"scales must both be tensorwise .* got scale_a \(256,\) and scale_b \(256,\)"),
    (torch.ones(256, 1), torch.ones(()), r"scales must both be tensorwise .* got scale_a \(256, 1\) and scale_b \(\)"),
    (torch.ones(1, 256), torch.ones(256, 1), r"scales must both be .* got scale_a \(1, 256\) and scale_b \(256, 1\)"),
    (torch.ones((), dtype=torch.bfloat16), torch.ones(()), "scale_a must be float32, got torch.bfloat16"),
])
def test_scaled_mm_refuses_bad_scales_in_one_line(scale_a, scale_b, message) -> None:
    import pipeir

    with pytest.raises((TypeError, ValueError), match=message) as error:
        pipeir.scaled_mm(fp8(256, 128), fp8(128, 128).t(), scale_a, scale_b)
    assert "\n" not in str(error.value)


def test_scaled_mm_refuses_a_row_major_b_and_a_bad_bias() -> None:
    import pipeir

    with pytest.raises(ValueError, match=r"b must be K-major"):
        pipeir.scaled_mm(fp8(256, 128), fp8(128, 128), torch.ones(()), torch.ones(()))
    with pytest.raises(TypeError, match=r"bias must have dtype torch.bfloat16"):
        pipeir.scaled_mm(fp8(256, 128), fp8(128, 128).t(), torch.ones(()), torch.ones(()), bias=torch.ones(128))
    with pytest.raises(TypeError, match=r"^out_dtype must be one of torch.float16, torch.bfloat16, torch.float32, "
                                        r"got torch.float8_e4m3fn$"):
        pipeir.scaled_mm(fp8(256, 128), fp8(128, 128).t(), torch.ones(()), torch.ones(()),
                         out_dtype=torch.float8_e4m3fn)
    with pytest.raises(TypeError, match=r"bias must have dtype torch.float32"):  # a bias of out_dtype
        pipeir.scaled_mm(fp8(256, 128), fp8(128, 128).t(), torch.ones(()), torch.ones(()),
                         bias=torch.ones(128).bfloat16(), out_dtype=torch.float32)


def test_matmul_refuses_an_unknown_activation() -> None:
    import pipeir

    a = torch.zeros(64, 64, dtype=torch.bfloat16)
    with pytest.raises(ValueError, match=r"^activation must be one of relu, gelu, gelu_tanh, silu, swiglu, got 'tanh'$"):
        pipeir.matmul(a, a, activation="tanh")


def test_matmul_refuses_an_unknown_out_dtype() -> None:
    import pipeir

    a = torch.zeros(64, 64, dtype=torch.bfloat16)
    with pytest.raises(TypeError, match=r"^out_dtype must be one of torch.float16, torch.bfloat16, torch.float32, "
                                        r"got torch.float64$"):
        pipeir.matmul(a, a, out_dtype=torch.float64)


@pytest.mark.parametrize("config", [
    replace(FP8, m=4096, n=4096, k=4096, tile=(256, 128, 128), cluster=(1, 2), scale="rowwise", bias=True,
            activation="silu"),
    replace(FP8, m=None, n=4096, k=4096, tile=(128, 128, 128), cluster=(1, 2), pingpong=True, scale="rowwise",
            bias=True, activation="silu"),
], ids=["cooperative-static", "pingpong-edge"])
def test_prefetched_reads_are_issued_before_the_first_mma(config, tmp_path) -> None:
    """In the SASS, the epilogue's first operand loads (LDG) come before the consumer's first
    WGMMA with prefetch, after it without, and neither spills."""
    from kernel_stats import kernel_stats

    without = (*HEADLINE_PIPELINE[:-1], "place-epilogue-loads{prefetch=false}")
    for passes, before in ((HEADLINE_PIPELINE, True), (without, False)):
        stats, sass = kernel_stats(config, tmp_path, passes)
        assert stats["spills"] == 0
        first_load, first_mma = sass.index("LDG.E"), sass.index("GMMA.")
        assert (first_load < first_mma) == before, passes
