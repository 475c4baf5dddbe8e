"""The custom ops torch.ops.pipeir.mm / scaled_mm and pipeir.nn on the CPU: the fake
implementations' shapes, dtypes and errors (FakeTensorMode, meta tensors, Dynamo), and
the autograd formula, opcheck and the modules with a stand-in kernel that computes the
product on the CPU. (The real kernels: tests/gpu/test_torch_integration.py.)"""

import pytest
import torch
from torch._subclasses.fake_tensor import FakeTensorMode

import pipeir
from pipeir import api, ops
from pipeir.nn import Fp8Linear, Linear, ineligibility, quantize_rows, replace_linears
from pipeir.runtime.objects import TORCH_DTYPES

FP8 = torch.float8_e4m3fn


class ProductKernel:
    """A CPU stand-in for a compiled run-time-M kernel (what pipeir.matmul builds): takes
    what the TVM-FFI entry point takes (a row-major of any M, b as the kernel reads it, out
    of the output dtype, then the epilogue's operands) and writes
    activation(a @ b + bias), in float32 and rounded once, like the fused epilogue."""

    def __init__(self, a, b, tune=None, out_dtype=None, bias=False, activation=None):
        self.b_k_major = b.stride() == (1, b.shape[0])
        self.c_dtype = TORCH_DTYPES[out_dtype] if out_dtype else ops.mm_output_dtype(a.dtype)
        self.signature = (a.dtype, a.shape[1], a.stride(), tuple(b.shape), b.stride())
        self.takes_bias, self.activation = bias, activation

    def function(self, a, b_read, out, bias=None):
        b = b_read.t() if self.b_k_major else b_read
        if (a.dtype, a.shape[1], a.stride(), tuple(b.shape), b.stride()) != self.signature:
            raise ValueError("another problem")
        if out.dtype != self.c_dtype or tuple(out.shape) != (a.shape[0], ops._output_columns(b.shape[1], self.activation)):
            raise ValueError("bad out")
        if (bias is not None) != self.takes_bias:
            raise TypeError("another epilogue")
        z = a.float() @ b.float() + (0 if bias is None else bias.float())
        out.copy_(z if self.activation is None else ops.ACTIVATIONS[self.activation](z))

    def __call__(self, a, b_read, out=None, bias=None):
        if out is None:
            b_columns = b_read.shape[0] if self.b_k_major else b_read.shape[1]
            out = torch.empty((a.shape[0], ops._output_columns(b_columns, self.activation)), dtype=self.c_dtype)
        self.function(a, b_read, out, bias)
        return out


@pytest.fixture
def product_kernels(monkeypatch):
    for table in ("_kernels", "_latest_kernel_of_shapes", "_predicted_next", "_last_follower", "_epilogue_kernels"):
        monkeypatch.setattr(api, table, {})
    monkeypatch.setattr(api, "_previous_kernel", None)
    monkeypatch.setattr(api, "_kernel_for", ProductKernel)


def relative_error(y, ref) -> float:
    return ((y.float() - ref.float()).norm() / ref.float().norm()).item()


# --- fake implementations -------------------------------------------------------------

@pytest.mark.parametrize("dtype, out_dtype", [
    (torch.float16, torch.float16), (torch.bfloat16, torch.bfloat16),
    (torch.float8_e4m3fn, torch.bfloat16), (torch.float8_e5m2, torch.bfloat16),
])
@pytest.mark.parametrize("b_k_major", [False, True])
def test_mm_fake_gives_the_output_shape_and_dtype(dtype, out_dtype, b_k_major):
    with FakeTensorMode():
        a = torch.empty(5, 64, dtype=dtype, device="cuda")
        b = torch.empty(24, 64, dtype=dtype, device="cuda").t() if b_k_major else \
            torch.empty(64, 24, dtype=dtype, device="cuda")
        for epilogue in ((None, None), (torch.empty(24, dtype=torch.bfloat16, device="cuda"), "silu")):
            c = torch.ops.pipeir.mm(a, b, *epilogue)
            assert (tuple(c.shape), c.dtype, c.device.type, c.stride()) == ((5, 24), out_dtype, "cuda", (24, 1))


def test_mm_fake_gives_swiglus_half_width_and_the_out_dtype():
    with FakeTensorMode():
        a = torch.empty(5, 64, dtype=torch.bfloat16, device="cuda")
        b = torch.empty(32, 64, dtype=torch.bfloat16, device="cuda").t()
        c = torch.ops.pipeir.mm(a, b, None, "swiglu", torch.float32)
        assert (tuple(c.shape), c.dtype) == ((5, 16), torch.float32)
        c = torch.ops.pipeir.mm(a, b, torch.empty(32, dtype=torch.bfloat16, device="cuda"), "swiglu")
        assert (tuple(c.shape), c.dtype) == ((5, 16), torch.bfloat16)
        c = pipeir.matmul(a, b, out_dtype=torch.float32)  # traced: the custom op
        assert (tuple(c.shape), c.dtype) == ((5, 32), torch.float32)


def test_swiglu_gradient_is_torchs():
    """The backward of `mm`'s swiglu (interleaved gate and value columns) against autograd of
    the torch formula."""
    from pipeir.ops import _ACTIVATION_GRADIENTS, ACTIVATIONS

    z = torch.randn(6, 10, dtype=torch.float64, requires_grad=True)
    grad = torch.randn(6, 5, dtype=torch.float64)
    ACTIVATIONS["swiglu"](z).backward(grad)
    torch.testing.assert_close(_ACTIVATION_GRADIENTS["swiglu"](grad, z.detach()), z.grad)


@pytest.mark.parametrize("shapes, dtypes, bias, activation, message", [
    (((5, 64), (32, 24)), (torch.bfloat16,) * 2, None, None, r"a is \(M, K\) = \(5, 64\) but b .* has K = 32"),
    (((5, 64), (64, 24)), (torch.bfloat16, torch.float16), None, None, "same dtype"),
    (((5, 64), (64, 24)), (torch.float32,) * 2, None, None, "has dtype torch.float32"),
    (((5, 64, 1), (64, 24)), (torch.bfloat16,) * 2, None, None, "a must be 2-D"),
    (((5, 64), (64, 24)), (torch.bfloat16,) * 2, (23,), None, r"bias must have shape \(24,\)"),
    (((5, 64), (64, 24)), (torch.bfloat16,) * 2, None, "tanh", "activation must be one of relu, gelu"),
    (((5, 64), (64, 25)), (torch.bfloat16,) * 2, None, "swiglu", "swiglu pairs the product's columns, so N must be even"),
])
def test_mm_fake_explains_bad_arguments(shapes, dtypes, bias, activation, message):
    with FakeTensorMode():
        a, b = (torch.empty(shape, dtype=dtype) for shape, dtype in zip(shapes, dtypes))
        bias = None if bias is None else torch.empty(bias, dtype=torch.bfloat16)
        with pytest.raises(RuntimeError, match=message):
            torch.ops.pipeir.mm(a, b, bias, activation)


@pytest.mark.parametrize("scale_shapes", [((), ()), ((1, 1), (1, 1)), ((7, 1), (1, 48))],
                         ids=["tensorwise-0d", "tensorwise-1x1", "rowwise"])
@pytest.mark.parametrize("out_dtype", [torch.bfloat16, torch.float16, torch.float32])
def test_scaled_mm_fake_gives_the_output_shape_and_dtype(scale_shapes, out_dtype):
    with FakeTensorMode():
        a = torch.empty(7, 64, dtype=FP8, device="cuda")
        b = torch.empty(48, 64, dtype=FP8, device="cuda").t()
        scale_a, scale_b = (torch.empty(shape, device="cuda") for shape in scale_shapes)
        bias = torch.empty(48, dtype=out_dtype, device="cuda")
        c = torch.ops.pipeir.scaled_mm(a, b, scale_a, scale_b, bias, out_dtype)
        assert (tuple(c.shape), c.dtype, c.device.type) == ((7, 48), out_dtype, "cuda")


@pytest.mark.parametrize("change, message", [
    (dict(scale_a=(7, 1), scale_b=()), "scales must be tensorwise"),
    (dict(scale_a=(1, 7)), "scales must be tensorwise"),
    (dict(scale_dtype=torch.bfloat16), "scale_a must be torch.float32"),
    (dict(a_dtype=torch.bfloat16), "a must be torch.float8_e4m3fn"),
    (dict(k=32), r"has K = 32"),
    (dict(out_dtype=torch.float8_e4m3fn), "out_dtype must be one of"),
    (dict(bias=(47,)), r"bias must have shape \(48,\)"),
])
def test_scaled_mm_fake_explains_bad_arguments(change, message):
    with FakeTensorMode():
        a = torch.empty(7, 64, dtype=change.get("a_dtype", FP8))
        b = torch.empty(48, change.get("k", 64), dtype=FP8).t()
        scale_a = torch.empty(change.get("scale_a", (7, 1)), dtype=change.get("scale_dtype", torch.float32))
        scale_b = torch.empty(change.get("scale_b", (1, 48)))
        bias = torch.empty(change["bias"], dtype=torch.bfloat16) if "bias" in change else None
        with pytest.raises(RuntimeError, match=message):
            torch.ops.pipeir.scaled_mm(a, b, scale_a, scale_b, bias, change.get("out_dtype", torch.bfloat16))


def test_pipeir_matmul_on_fake_tensors_builds_no_kernel(product_kernels):
    with FakeTensorMode():
        a = torch.empty(5, 64, dtype=torch.bfloat16, device="cuda")
        b = torch.empty(64, 24, dtype=torch.bfloat16, device="cuda")
        c = pipeir.matmul(a, b)
        assert (tuple(c.shape), c.dtype, c.device.type) == ((5, 24), torch.bfloat16, "cuda")
    assert api.loaded_kernels() == []


def test_dynamo_traces_pipeir_matmul_without_a_graph_break():
    def block(x, w):
        return torch.relu(pipeir.matmul(x, w.t())) * 2

    x, w = torch.empty(8, 64, dtype=torch.bfloat16, device="meta"), torch.empty(32, 64, dtype=torch.bfloat16, device="meta")
    explanation = torch._dynamo.explain(block)(x, w)
    assert (explanation.graph_count, explanation.graph_break_count) == (1, 0)
    graph = explanation.graphs[0]
    assert any(node.target in (torch.ops.pipeir.mm, torch.ops.pipeir.mm.default) for node in graph.graph.nodes)


def test_a_compiled_model_traces_forward_and_backward_on_meta_tensors():
    torch._dynamo.reset()
    model = torch.nn.Sequential(torch.nn.Linear(64, 128, bias=False), torch.nn.SiLU(), torch.nn.Linear(128, 64))
    model = model.to(device="meta", dtype=torch.bfloat16)
    assert replace_linears(model).replaced == ["0", "2"]
    x = torch.empty(13, 64, dtype=torch.bfloat16, device="meta")
    loss = torch.compile(model, fullgraph=True, backend="aot_eager")(x).sum()
    loss.backward()
    assert [tuple(p.grad.shape) for p in model.parameters()] == [(128, 64), (64, 128), (64,)]


# --- autograd and opcheck, with the product stand-in --------------------------------------

@pytest.mark.parametrize("b_k_major", [False, True])
@pytest.mark.parametrize("activation", [None, *ops.ACTIVATIONS])
@pytest.mark.parametrize("tokens", [16, 5])
def test_gradients_match_torch(product_kernels, b_k_major, activation, tokens):
    torch.manual_seed(0)
    a = torch.randn(tokens, 64, dtype=torch.bfloat16, requires_grad=True)
    weight = torch.randn(24, 64, dtype=torch.bfloat16) / 4
    b = (weight.t() if b_k_major else weight.t().contiguous()).requires_grad_()
    bias = torch.randn(24, dtype=torch.bfloat16, requires_grad=True)
    upstream = torch.randn(tokens, ops._output_columns(24, activation), dtype=torch.bfloat16)
    torch.ops.pipeir.mm(a, b, bias, activation).backward(upstream)
    a32, b32, bias32 = (t.detach().float().requires_grad_() for t in (a, b, bias))
    z = a32 @ b32 + bias32
    (z if activation is None else ops.ACTIVATIONS[activation](z)).backward(upstream.float())
    for got, expected in ((a.grad, a32.grad), (b.grad, b32.grad), (bias.grad, bias32.grad)):
        assert relative_error(got, expected) < 2e-2


def test_pipeir_matmul_differentiates_when_its_inputs_need_gradients(product_kernels):
    a = torch.randn(8, 64, dtype=torch.float16, requires_grad=True)
    b = torch.randn(64, 16, dtype=torch.float16, requires_grad=True)
    pipeir.matmul(a, b).sum().backward()
    assert relative_error(a.grad, torch.ones(8, 16) @ b.detach().float().t()) < 1e-2
    assert relative_error(b.grad, a.detach().float().t() @ torch.ones(8, 16)) < 1e-2


def test_an_eager_call_without_gradients_keeps_the_direct_dispatch(product_kernels, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("went through the custom op")

    monkeypatch.setattr(api, "_through_custom_op", refuse)
    a, b = torch.randn(8, 64, dtype=torch.float16), torch.randn(64, 16, dtype=torch.float16, requires_grad=True)
    with torch.no_grad():
        for _ in range(4):
            assert relative_error(pipeir.matmul(a, b), a.float() @ b.detach().float()) < 1e-2
    with pytest.raises(AssertionError, match="custom op"):
        pipeir.matmul(a, b)


@pytest.mark.parametrize("b_k_major", [False, True])
@pytest.mark.parametrize("epilogue", [(False, None, None), (True, "gelu", None), (True, "swiglu", torch.float32)])
def test_opcheck_mm(product_kernels, b_k_major, epilogue):
    with_bias, activation, out_dtype = epilogue
    a = torch.randn(16, 64, dtype=torch.bfloat16, requires_grad=True)
    b = (torch.randn(24, 64, dtype=torch.bfloat16).t() if b_k_major
         else torch.randn(64, 24, dtype=torch.bfloat16)).requires_grad_()
    bias = torch.randn(24, dtype=out_dtype or torch.bfloat16, requires_grad=True) if with_bias else None
    torch.library.opcheck(torch.ops.pipeir.mm.default, (a, b, bias, activation, out_dtype))


def test_mm_copies_inputs_into_the_layouts_kernels_take(product_kernels):
    a = torch.randn(64, 16, dtype=torch.float16).t()  # column-major (16, 64)
    b = torch.randn(2, 64, 24, dtype=torch.float16)[1]  # row-major, in a larger buffer
    assert relative_error(torch.ops.pipeir.mm(a, b), a.float() @ b.float()) < 1e-2
    fp8_a = torch.randn(16, 64).to(FP8)
    fp8_b = torch.randn(64, 24).to(FP8)  # row-major: fp8 kernels take K-major only
    assert relative_error(torch.ops.pipeir.mm(fp8_a, fp8_b), fp8_a.float() @ fp8_b.float()) < 1e-2
    (kernel,) = [k for k in api.loaded_kernels() if k.signature[0] == FP8]
    assert kernel.b_k_major


@pytest.mark.skipif(hasattr(api, "scaled_mm"), reason="pipeir.api.scaled_mm exists: tests/gpu runs it")
def test_scaled_mm_says_when_this_pipeir_has_no_fp8_scaled_gemm():
    a, b = torch.randn(16, 64).to(FP8), torch.randn(24, 64).to(FP8).t()
    with pytest.raises(NotImplementedError, match="no fp8 scaled GEMM"):
        torch.ops.pipeir.scaled_mm(a, b, torch.ones(16, 1), torch.ones(1, 24))


# --- pipeir.nn ---------------------------------------------------------------------------

def test_replace_linears_swaps_the_eligible_and_names_the_rest():
    class Custom(torch.nn.Linear):
        pass

    model = torch.nn.Sequential(
        torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 12),
        torch.nn.Sequential(torch.nn.Linear(12, 16), Custom(16, 16)),
    ).to(torch.bfloat16)
    model.append(torch.nn.Linear(16, 16))  # float32
    weight = model[0].weight
    report = replace_linears(model)
    assert report.replaced == ["0"]
    assert type(model[0]) is Linear and model[0].weight is weight
    assert report.skipped == {
        "2": "out_features 12 is not a multiple of 8 (output rows of 16-byte multiples for TMA)",
        "3.0": "in_features 12 is not a multiple of 8 (rows of 16-byte multiples for TMA)",
        "3.1": f"{Custom.__module__}.{Custom.__qualname__} is not a plain torch.nn.Linear",
        "4": "weight dtype torch.float32; pipeir takes torch.float16 or torch.bfloat16 (e.g. model.to(torch.bfloat16))",
    }
    assert "kept 2: out_features 12" in str(report)
    assert replace_linears(model).replaced == []  # pipeir's Linear is left alone


def test_replace_linears_fp8_needs_16_byte_fp8_rows():
    model = torch.nn.Sequential(torch.nn.Linear(24, 32), torch.nn.Linear(32, 16)).to(torch.bfloat16)
    report = replace_linears(model, fp8=True)
    assert report.replaced == ["1"] and "in_features 24 is not a multiple of 16" in report.skipped["0"]
    assert isinstance(model[1], Fp8Linear)
    with pytest.raises(TypeError, match="Linear.from_linear"):
        replace_linears(torch.nn.Linear(32, 32))


@pytest.mark.parametrize("activation", [None, "relu", "gelu_tanh"])
def test_linear_matches_torch_and_trains(product_kernels, activation):
    torch.manual_seed(1)
    linear = torch.nn.Linear(64, 32, dtype=torch.bfloat16)
    module = Linear.from_linear(linear, activation=activation)
    x = torch.randn(2, 3, 64, dtype=torch.bfloat16)
    y = module(x)
    reference = linear.float()(x.float())
    reference = reference if activation is None else ops.ACTIVATIONS[activation](reference)
    assert y.shape == (2, 3, 32) and relative_error(y, reference) < 2e-2
    y.float().sum().backward()
    assert linear.weight.grad is not None and linear.weight.grad.shape == (32, 64)
    with pytest.raises(ValueError, match="input has 48 features"):
        module(torch.randn(4, 48, dtype=torch.bfloat16))
    with pytest.raises(ValueError, match="activation must be one of"):
        Linear(64, 32, activation="tanh")


def test_fp8_linear_quantizes_per_channel_and_traces():
    torch.manual_seed(2)
    linear = torch.nn.Linear(64, 32, dtype=torch.bfloat16)
    module = Fp8Linear.from_linear(linear, activation="silu")
    assert module.weight.dtype == FP8 and module.weight_scale.shape == (1, 32)
    dequantized = module.weight.float() * module.weight_scale.t()
    assert relative_error(dequantized, linear.weight) < 5e-2
    values, scale = quantize_rows(torch.tensor([[1.0, -2.0], [0.0, 0.0]]))
    assert torch.equal(values.float()[0], torch.tensor([224.0, -448.0])) and scale[1].item() > 0
    with FakeTensorMode(allow_non_fake_inputs=True):
        y = module(torch.empty(3, 5, 64, dtype=torch.bfloat16))
        assert (tuple(y.shape), y.dtype) == ((3, 5, 32), torch.bfloat16)


def test_ineligibility_is_none_for_a_plain_16_bit_linear():
    assert ineligibility(torch.nn.Linear(64, 32, dtype=torch.float16)) is None
    assert ineligibility(torch.nn.Linear(64, 32, dtype=torch.float16), fp8=True) is None
