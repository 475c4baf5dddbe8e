"""pipeir inside PyTorch on the GPU: torch.compile(fullgraph=True) without graph breaks,
CUDA graphs, torch.library.opcheck of each custom op, and gradients against torch's.
(The fake implementations alone: tests/test_torch_ops.py, on the CPU.)"""

import pytest
import torch
import torch.nn.functional as F

import pipeir
from pipeir import api
from pipeir.nn import Fp8Linear, Linear, replace_linears
from pipeir.ops import ACTIVATIONS, FUSED_EPILOGUE

pytestmark = [pytest.mark.gpu, pytest.mark.slow, pytest.mark.xdist_group("torch_integration")]
needs_scaled_mm = pytest.mark.skipif(not hasattr(api, "scaled_mm"), reason="this pipeir has no pipeir.api.scaled_mm")
MAX_RELATIVE_ERROR = 2e-2


@pytest.fixture(autouse=True)
def default_configurations(monkeypatch):
    monkeypatch.setenv("PIPEIR_TUNE", "0")  # one kernel per shape, no tuning run per test
    torch._dynamo.reset()


def relative_error(y, ref) -> float:
    return ((y.float() - ref.float()).norm() / ref.float().norm()).item()


class MLP(torch.nn.Module):
    def __init__(self, hidden=256, intermediate=512, dtype=torch.bfloat16):
        super().__init__()
        torch.manual_seed(0)
        self.gate_proj = torch.nn.Linear(hidden, intermediate, bias=False, device="cuda", dtype=dtype)
        self.up_proj = torch.nn.Linear(hidden, intermediate, bias=False, device="cuda", dtype=dtype)
        self.down_proj = torch.nn.Linear(intermediate, hidden, bias=False, device="cuda", dtype=dtype)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


def pipeir_mlp():
    model = MLP()
    report = replace_linears(model)
    assert report.replaced == ["gate_proj", "up_proj", "down_proj"] and not report.skipped
    return model


def graph_breaks(function, *args) -> int:
    explanation = torch._dynamo.explain(function)(*args)
    assert explanation.graph_count >= 1
    return explanation.graph_break_count


def captured(function, *args):
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        for _ in range(2):
            function(*args)
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        out = function(*args)
    return graph, out


@pytest.mark.parametrize("tokens", [64, 7])
def test_the_mlp_compiles_whole_matches_eager_and_replays_in_a_cuda_graph(tokens):
    model = pipeir_mlp()
    reference = MLP()
    x = torch.randn(tokens, 256, device="cuda", dtype=torch.bfloat16)
    with torch.no_grad():
        assert graph_breaks(model, x) == 0
        eager = model(x)
        assert relative_error(eager, reference.float()(x.float())) < MAX_RELATIVE_ERROR
        compiled = torch.compile(model, fullgraph=True)(x)
        assert relative_error(compiled, eager) < 1e-2
        graph, out = captured(model, x)
        out.fill_(float("nan"))
        graph.replay()
        torch.cuda.synchronize()
        assert torch.equal(out, eager)


def test_pipeir_matmul_compiles_whole_with_its_neighbours():
    def block(a, b):
        return torch.relu(pipeir.matmul(a, b)) * 2 + 1

    a = torch.randn(128, 64, device="cuda", dtype=torch.float16)
    b = torch.randn(64, 96, device="cuda", dtype=torch.float16)
    assert graph_breaks(block, a, b) == 0
    expected = torch.relu(a.float() @ b.float()) * 2 + 1
    assert relative_error(torch.compile(block, fullgraph=True)(a, b), expected) < MAX_RELATIVE_ERROR


@pytest.mark.skipif(not FUSED_EPILOGUE, reason="this pipeir.matmul has no fused bias/activation")
def test_pipeir_matmul_epilogue_compiles_whole_and_keeps_bias_and_activation():
    def block(a, b, bias):
        return pipeir.matmul(a, b, bias=bias, activation="silu") * 2

    a = torch.randn(128, 64, device="cuda", dtype=torch.bfloat16)
    b = torch.randn(64, 96, device="cuda", dtype=torch.bfloat16)
    bias = torch.randn(96, device="cuda", dtype=torch.bfloat16)
    assert graph_breaks(block, a, b, bias) == 0
    expected = F.silu(a.float() @ b.float() + bias.float()) * 2
    assert relative_error(block(a, b, bias), expected) < MAX_RELATIVE_ERROR
    assert relative_error(torch.compile(block, fullgraph=True)(a, b, bias), expected) < MAX_RELATIVE_ERROR


def fp8_operands(m=128, n=256, k=128, rowwise=True):
    torch.manual_seed(1)
    a = torch.randn(m, k, device="cuda").to(torch.float8_e4m3fn)
    b = torch.randn(n, k, device="cuda").to(torch.float8_e4m3fn).t()  # (K, N), K-major
    if rowwise:
        scale_a = torch.rand(m, 1, device="cuda") + 0.5
        scale_b = torch.rand(1, n, device="cuda") + 0.5
    else:
        scale_a, scale_b = torch.tensor(0.5, device="cuda"), torch.tensor(2.0, device="cuda")
    return a, b, scale_a, scale_b


@needs_scaled_mm
@pytest.mark.parametrize("rowwise", [True, False])
def test_pipeir_scaled_mm_compiles_whole_matches_eager_and_replays(rowwise):
    def block(a, b, scale_a, scale_b):
        return pipeir.scaled_mm(a, b, scale_a, scale_b, out_dtype=torch.bfloat16).float().square()

    operands = fp8_operands(rowwise=rowwise)
    assert graph_breaks(block, *operands) == 0
    eager = block(*operands)
    a, b, scale_a, scale_b = operands
    expected = ((a.float() * scale_a) @ (b.float() * scale_b)).square()
    assert relative_error(eager, expected) < MAX_RELATIVE_ERROR
    assert relative_error(torch.compile(block, fullgraph=True)(*operands), eager) < 1e-2
    graph, out = captured(block, *operands)
    out.fill_(float("nan"))
    graph.replay()
    torch.cuda.synchronize()
    assert torch.equal(out, eager)


@pytest.mark.parametrize("b_k_major", [False, True])
@pytest.mark.parametrize("epilogue", [(False, None), (True, "silu"), (True, None), (False, "gelu_tanh")])
def test_opcheck_mm(b_k_major, epilogue):
    with_bias, activation = epilogue
    torch.manual_seed(2)
    a = torch.randn(64, 128, device="cuda", dtype=torch.bfloat16, requires_grad=True)
    b = (torch.randn(96, 128, device="cuda", dtype=torch.bfloat16).t() if b_k_major
         else torch.randn(128, 96, device="cuda", dtype=torch.bfloat16)).requires_grad_()
    bias = torch.randn(96, device="cuda", dtype=torch.bfloat16, requires_grad=True) if with_bias else None
    torch.library.opcheck(torch.ops.pipeir.mm.default, (a, b, bias, activation))


FP8_OPCHECKS = ("test_autograd_registration", "test_faketensor", "test_aot_dispatch_dynamic")
"""opcheck's test_schema compares inputs with torch.allclose, which CUDA has no fp8 kernel
for ("mul_cuda" not implemented for 'Float8_e4m3fn'): fp8 calls run the other checks, and
assert_inputs_unchanged checks what test_schema would (that the op mutates no input)."""


def assert_inputs_unchanged(op, args):
    before = [arg.clone() if isinstance(arg, torch.Tensor) else arg for arg in args]
    op(*args)
    for old, new in zip(before, args):
        if isinstance(old, torch.Tensor):
            assert torch.equal(old.reshape(-1).view(torch.uint8), new.reshape(-1).view(torch.uint8))


def test_opcheck_mm_fp8():
    a, b, _, _ = fp8_operands()
    torch.library.opcheck(torch.ops.pipeir.mm.default, (a, b, None, None), test_utils=FP8_OPCHECKS)
    assert_inputs_unchanged(torch.ops.pipeir.mm.default, (a, b, None, None))


@needs_scaled_mm
@pytest.mark.parametrize("rowwise", [True, False])
def test_opcheck_scaled_mm(rowwise):
    a, b, scale_a, scale_b = fp8_operands(rowwise=rowwise)
    bias = torch.randn(b.shape[1], device="cuda", dtype=torch.bfloat16)
    args = (a, b, scale_a, scale_b, bias, torch.bfloat16)
    torch.library.opcheck(torch.ops.pipeir.scaled_mm.default, args, test_utils=FP8_OPCHECKS)
    assert_inputs_unchanged(torch.ops.pipeir.scaled_mm.default, args)


@pytest.mark.parametrize("b_k_major", [False, True])
@pytest.mark.parametrize("activation", [None, *ACTIVATIONS])
@pytest.mark.parametrize("tokens", [64, 37])
def test_gradients_match_torch(b_k_major, activation, tokens):
    torch.manual_seed(3)
    a = torch.randn(tokens, 128, device="cuda", dtype=torch.bfloat16, requires_grad=True)
    weight = torch.randn(96, 128, device="cuda", dtype=torch.bfloat16) / 8
    b = (weight.t() if b_k_major else weight.t().contiguous()).detach().requires_grad_()
    bias = torch.randn(96, device="cuda", dtype=torch.bfloat16, requires_grad=True)
    columns = 48 if activation == "swiglu" else 96  # swiglu gates column pairs
    upstream = torch.randn(tokens, columns, device="cuda", dtype=torch.bfloat16)
    torch.ops.pipeir.mm(a, b, bias, activation).backward(upstream)
    a32, b32, bias32 = (t.detach().float().requires_grad_() for t in (a, b, bias))
    z = a32 @ b32 + bias32
    (z if activation is None else ACTIVATIONS[activation](z)).backward(upstream.float())
    for name, got, expected in (("a", a.grad, a32.grad), ("b", b.grad, b32.grad), ("bias", bias.grad, bias32.grad)):
        assert got.shape == expected.shape, name
        assert relative_error(got, expected) < MAX_RELATIVE_ERROR, name


def test_compiled_training_step_matches_eager():
    model, x = pipeir_mlp(), torch.randn(32, 256, device="cuda", dtype=torch.bfloat16)

    def step(model):
        model.zero_grad()
        model(x).float().square().mean().backward()
        return [p.grad.clone() for p in model.parameters()]

    eager = step(model)
    compiled_model = torch.compile(model, fullgraph=True)
    compiled = step(compiled_model)
    reference = MLP()
    torch_grads = step(reference)
    for got, eager_grad, torch_grad in zip(compiled, eager, torch_grads):
        assert relative_error(got, eager_grad) < 1e-2
        assert relative_error(eager_grad, torch_grad) < 5e-2


def test_pipeir_matmul_with_gradients_differentiates():
    a = torch.randn(64, 128, device="cuda", dtype=torch.float16, requires_grad=True)
    b = torch.randn(128, 64, device="cuda", dtype=torch.float16, requires_grad=True)
    pipeir.matmul(a, b).sum().backward()
    assert relative_error(a.grad, torch.ones(64, 64, device="cuda") @ b.detach().float().t()) < MAX_RELATIVE_ERROR


def test_linear_with_bias_and_activation_matches_torch():
    torch.manual_seed(4)
    linear = torch.nn.Linear(128, 64, device="cuda", dtype=torch.bfloat16)
    module = Linear.from_linear(linear, activation="gelu")
    x = torch.randn(3, 5, 128, device="cuda", dtype=torch.bfloat16)
    with torch.no_grad():
        assert relative_error(module(x), F.gelu(linear.float()(x.float()))) < MAX_RELATIVE_ERROR


@needs_scaled_mm
def test_fp8_linear_matches_torch():
    torch.manual_seed(5)
    linear = torch.nn.Linear(256, 128, device="cuda", dtype=torch.bfloat16)
    module = Fp8Linear.from_linear(linear)
    x = torch.randn(17, 256, device="cuda", dtype=torch.bfloat16)
    with torch.no_grad():
        assert relative_error(module(x), linear.float()(x.float())) < 8e-2
        assert graph_breaks(module, x) == 0
