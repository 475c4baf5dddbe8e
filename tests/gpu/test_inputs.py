"""Bad inputs raise a clear TypeError/ValueError before any launch."""

import pytest
import torch

import pipeir
from pipeir.build import GemmConfig

pytestmark = pytest.mark.gpu
M, N, K = 256, 512, 128


@pytest.fixture(scope="module")
def kernel():
    return pipeir.compile(GemmConfig(m=M, n=N, k=K, dtype="bf16", tile=(128, 128, 64)))


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
def test_bad_input(kernel, mutate, error, message) -> None:
    a, b = mutate(*operands())
    with pytest.raises(error, match=message):
        kernel(a, b)


def test_bad_out(kernel) -> None:
    a, b = operands()
    with pytest.raises(ValueError, match="shape"):
        kernel(a, b, out=torch.empty(M, N + 8, device="cuda", dtype=torch.bfloat16))
