"""Bad inputs raise a clear TypeError/ValueError before any launch."""

import pytest
import torch

import pipeir
from pipeir.target.spec import GemmConfig

pytestmark = pytest.mark.gpu
M, N, K = 256, 512, 128


@pytest.fixture(scope="module")
def kernel():
    return pipeir.compile(GemmConfig(m=M, n=N, k=K, dtype="bf16", tile=(128, 128, 64)), tune=False)


def operands():
    a = torch.randn(M, K, device="cuda", dtype=torch.bfloat16)
    b = torch.randn(N, K, device="cuda", dtype=torch.bfloat16)
    return a, b


def test_good_call(kernel) -> None:
    a, b = operands()
    torch.testing.assert_close(kernel(a, b).float(), (a.float() @ b.float().t()), rtol=2e-2, atol=2e-1)


@pytest.mark.parametrize(
    "mutate, error, message",
    [
        (lambda a, b: (a.half(), b), TypeError, "dtype"),
        (lambda a, b: (a.cpu(), b), ValueError, "CUDA"),
        (lambda a, b: (a, "b"), TypeError, "torch.Tensor"),
        (lambda a, b: (a.t().contiguous().t(), b), ValueError, "row-major"),
        (lambda a, b: (torch.empty(M * K + 4, device="cuda", dtype=torch.bfloat16)[4:].view(M, K), b), ValueError, "16-byte"),
        (lambda a, b: (a[:, :120].contiguous(), b), ValueError, "K"),
        (lambda a, b: (a[:128].contiguous(), b), ValueError, "M = 256"),
    ],
    ids=["dtype", "cpu", "not-a-tensor", "column-major", "misaligned", "mismatched-k", "wrong-static-m"],
)
@pytest.mark.parametrize("with_out", [False, True], ids=["allocating", "out-given"])
def test_bad_input(kernel, mutate, error, message, with_out) -> None:
    """With out= given, a static kernel leaves the checks to TVM-FFI and explains its
    rejection afterwards; the caller sees the same error either way."""
    a, b = mutate(*operands())
    out = torch.full((M, N), float("nan"), device="cuda", dtype=torch.bfloat16)
    with pytest.raises(error, match=message):
        kernel(a, b, out=out) if with_out else kernel(a, b)
    assert out.isnan().all(), "nothing may be launched for a bad call"


@pytest.mark.parametrize(
    "out, error, message",
    [
        (lambda: torch.empty(M, N + 8, device="cuda", dtype=torch.bfloat16), ValueError, "shape"),
        (lambda: torch.empty(M, N, device="cuda", dtype=torch.float16), TypeError, "dtype"),
        (lambda: torch.empty(N, M, device="cuda", dtype=torch.bfloat16).t(), ValueError, "row-major"),
        (lambda: torch.empty(M, N, dtype=torch.bfloat16), ValueError, "CUDA"),
    ],
    ids=["shape", "dtype", "column-major", "cpu"],
)
def test_bad_out(kernel, out, error, message) -> None:
    a, b = operands()
    with pytest.raises(error, match=message):
        kernel(a, b, out=out())
