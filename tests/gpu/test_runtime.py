"""pipeir.matmul's dispatch table, the object cache across processes, and the tuner."""

import json
import os
import subprocess
import sys

import pytest
import torch

import pipeir
from pipeir import api
from pipeir.target.spec import GemmConfig
from pipeir.runtime.objects import TORCH_DTYPES
from pipeir.runtime.cache import read_choices
from pipeir.tune import tune, tuning_key

pytestmark = [pytest.mark.gpu, pytest.mark.xdist_group("runtime")]


@pytest.fixture(autouse=True)
def untuned(monkeypatch):
    monkeypatch.setenv("PIPEIR_TUNE", "0")  # defaults: these tests are about dispatch, not tuning


def reference(a, b):
    return a.float() @ b.float()


@pytest.mark.parametrize(
    "dtype, b_layout",
    [("f16", "row-major"), ("bf16", "row-major"), ("bf16", "k-major"), ("f8e4m3", "k-major")],
)
def test_matmul_matches_torch(dtype, b_layout) -> None:
    m, n, k = 384, 640, 320
    a = torch.randn(m, k, device="cuda").to(TORCH_DTYPES[dtype])
    b_rows = torch.randn(k, n, device="cuda") if b_layout == "row-major" else torch.randn(n, k, device="cuda").t()
    b = b_rows.to(TORCH_DTYPES[dtype]) if b_layout == "row-major" else b_rows.t().to(TORCH_DTYPES[dtype]).t()
    c = pipeir.matmul(a, b)
    torch.testing.assert_close(c.float(), reference(a, b), rtol=2e-2, atol=5e-1)
    out = torch.full_like(c, float("nan"))
    assert pipeir.matmul(a, b, out=out) is out
    torch.testing.assert_close(out, c, rtol=0, atol=0)


def test_repeated_calls_reuse_one_kernel() -> None:
    a = torch.randn(256, 128, device="cuda", dtype=torch.bfloat16)
    b = torch.randn(128, 256, device="cuda", dtype=torch.bfloat16)
    pipeir.matmul(a, b)
    before = api.loaded_kernels()
    for _ in range(3):
        pipeir.matmul(torch.randn_like(a), torch.randn_like(b))
    assert api.loaded_kernels() == before
    pipeir.matmul(torch.randn(512, 128, device="cuda", dtype=torch.bfloat16), b)
    assert len(api.loaded_kernels()) == len(before) + 1


@pytest.mark.parametrize("m, n, k", [(64, 64, 0), (0, 64, 64), (64, 0, 64)])
def test_dynamic_kernel_with_an_empty_dimension_matches_torch(m, n, k) -> None:
    """K = 0 is an empty sum (zeros, like torch.matmul), M or N = 0 an empty output: the
    kernel, whose first MMA of a tile overwrites the accumulators, is not launched."""
    kernel = pipeir.compile(GemmConfig(m=None, n=None, k=None, dtype="bf16"), tune=False)
    a = torch.randn(m, k, device="cuda", dtype=torch.bfloat16)
    b = torch.randn(n, k, device="cuda", dtype=torch.bfloat16)
    out = kernel(a, b, torch.full((m, n), float("nan"), device="cuda", dtype=torch.bfloat16))
    assert out.shape == (m, n)
    assert torch.equal(out, a @ b.t())


def test_kernels_sharing_shapes_each_compute_their_own_product() -> None:
    """Same (M, K) and (K, N), different dtype or layout of B: the shape-keyed hit path
    must hand each call to its own kernel."""
    a16 = torch.randn(256, 192, device="cuda")
    b32 = torch.randn(192, 320, device="cuda")
    variants = [
        (a16.half(), b32.half()),
        (a16.bfloat16(), b32.bfloat16()),
        (a16.bfloat16(), b32.t().contiguous().bfloat16().t()),
    ]
    for a, b in variants * 2:
        out = pipeir.matmul(a, b)
        assert out.dtype == a.dtype
        torch.testing.assert_close(out.float(), reference(a, b), rtol=2e-2, atol=5e-1)


def test_matmul_replays_from_a_cuda_graph() -> None:
    """Captured once, replayed on new inputs: the launch goes to torch's current
    (capturing) stream, so a graph removes the host cost of every call."""
    a = torch.randn(256, 192, device="cuda", dtype=torch.bfloat16)
    b = torch.randn(192, 320, device="cuda", dtype=torch.bfloat16)
    out = torch.empty(256, 320, device="cuda", dtype=torch.bfloat16)
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):  # load and warm the kernel outside the capture
        for _ in range(3):
            pipeir.matmul(a, b, out=out)
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        pipeir.matmul(a, b, out=out)
    for _ in range(2):
        a.copy_(torch.randn_like(a))
        b.copy_(torch.randn_like(b))
        out.fill_(float("nan"))
        graph.replay()
        torch.cuda.synchronize()
        torch.testing.assert_close(out.float(), reference(a, b), rtol=2e-2, atol=5e-1)


@pytest.mark.parametrize(
    "operands, error, message",
    [
        (lambda a, b: (a.float(), b), TypeError, "dtype"),
        (lambda a, b: (a, b.half()), TypeError, "dtype"),
        (lambda a, b: (a.cpu(), b), ValueError, "CUDA"),
        (lambda a, b: (a, [[1.0]]), TypeError, "torch tensors"),
        (lambda a, b: (a[None], b), ValueError, "2-D"),
        (lambda a, b: (a, b[:64]), ValueError, "K"),
        (lambda a, b: (a.t().contiguous().t(), b), ValueError, "row-major"),
        (lambda a, b: (a, b[:, ::2]), ValueError, "strides"),
        (lambda a, b: (a.to(torch.float8_e4m3fn), b.to(torch.float8_e4m3fn)), ValueError, "K-major"),
    ],
    ids=["dtype", "mixed", "cpu", "list", "3-d", "k-mismatch", "a-column-major", "b-strided", "fp8-row-major-b"],
)
def test_matmul_bad_input(operands, error, message) -> None:
    a = torch.randn(256, 128, device="cuda", dtype=torch.bfloat16)
    b = torch.randn(128, 256, device="cuda", dtype=torch.bfloat16)
    with pytest.raises(error, match=message):
        pipeir.matmul(*operands(a, b))


def test_matmul_bad_out_on_the_hit_path() -> None:
    a = torch.randn(256, 128, device="cuda", dtype=torch.bfloat16)
    b = torch.randn(128, 256, device="cuda", dtype=torch.bfloat16)
    for _ in range(3):
        pipeir.matmul(a, b)  # the next call is predicted to use this kernel
    with pytest.raises(ValueError, match="shape"):
        pipeir.matmul(a, b, out=torch.empty(256, 264, device="cuda", dtype=torch.bfloat16))
    with pytest.raises(TypeError, match="dtype"):
        pipeir.matmul(a, b, out=torch.empty(256, 256, device="cuda", dtype=torch.float16))
    misaligned = torch.empty(256 * 256 + 1, device="cuda", dtype=torch.bfloat16)[1:].view(256, 256)
    with pytest.raises(ValueError, match="16-byte"):
        pipeir.matmul(a, b, out=misaligned)


SECOND_PROCESS = """
import json, torch, pipeir
from pipeir.target.spec import GemmConfig
kernel = pipeir.compile(GemmConfig(m=256, n=384, k=192, dtype="f16", tile=(128, 128, 64)), tune=False)
a = torch.randn(256, 192, device="cuda", dtype=torch.float16)
b = torch.randn(384, 192, device="cuda", dtype=torch.float16)
error = ((kernel(a, b).float() - a.float() @ b.float().t()).abs().max()).item()
print(json.dumps(dict(origin=kernel.origin, error=error)))
"""


def test_a_second_process_loads_instead_of_compiling(tmp_path) -> None:
    environment = dict(os.environ, PIPEIR_CACHE_DIR=str(tmp_path))
    runs = [
        subprocess.run([sys.executable, "-c", SECOND_PROCESS], env=environment, capture_output=True,
                       text=True, check=True)
        for _ in range(2)
    ]
    first, second = (json.loads(run.stdout.strip().splitlines()[-1]) for run in runs)
    assert (first["origin"], second["origin"]) == ("compiled", "object cache")
    assert first["error"] < 0.5 and second["error"] < 0.5
    assert len(list((tmp_path / "objects").glob("*.o"))) == 1


def test_tuner_records_and_compile_uses_its_choice(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("PIPEIR_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("PIPEIR_TUNE", "1")
    free = GemmConfig(m=512, n=512, k=512, dtype="bf16", tile=(128, 128, 64), cluster=(1, 1))
    best = tune(free, jobs=4)
    choice = read_choices()[tuning_key(free, torch.cuda.get_device_name())]
    assert choice["raster"] == best.config.raster_order and choice["stages"] == best.config.stage_count
    assert choice["tried"] >= 2 and choice["ms"] > 0
    kernel = pipeir.compile(free)
    assert kernel.config == best.config
    assert kernel.origin == "object cache"
    a = torch.randn(512, 512, device="cuda", dtype=torch.bfloat16)
    b = torch.randn(512, 512, device="cuda", dtype=torch.bfloat16)
    torch.testing.assert_close(kernel(a, b).float(), a.float() @ b.float().t(), rtol=2e-2, atol=5e-1)


def test_a_fused_kernel_is_tuned_with_its_epilogue(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("PIPEIR_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("PIPEIR_TUNE", "1")
    free = GemmConfig(m=512, n=512, k=512, dtype="f8e4m3", tile=(128, 128, 128), cluster=(1, 1),
                      scale="rowwise", bias=True, activation="silu")
    best = tune(free, jobs=4)
    choices = read_choices()
    device = torch.cuda.get_device_name()
    assert tuning_key(free, device) in choices and tuning_key(free.mainloop, device) not in choices
    assert best.config.activation == "silu" and choices[tuning_key(free, device)]["tried"] >= 2
    kernel = pipeir.compile(free)
    assert kernel.config == best.config and kernel.origin == "object cache"
    a = torch.randn(512, 512, device="cuda").to(torch.float8_e4m3fn)
    b = torch.randn(512, 512, device="cuda").to(torch.float8_e4m3fn)
    scale_a, scale_b = torch.rand(512, device="cuda") + 0.5, torch.rand(512, device="cuda") + 0.5
    bias = torch.randn(512, device="cuda").bfloat16()
    out = kernel(a, b, scale_a=scale_a, scale_b=scale_b, bias=bias)
    expected = torch.nn.functional.silu(
        (a.float() @ b.float().t()) * scale_a[:, None] * scale_b[None, :] + bias.float())
    assert ((out.float() - expected).norm() / expected.norm()).item() < 5e-3
