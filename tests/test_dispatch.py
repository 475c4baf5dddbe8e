"""pipeir.matmul's three-tier dispatch, on the CPU with stand-in kernels that check their
arguments the way the TVM-FFI entry point does. (The real kernels: tests/gpu/test_runtime.py.)"""

import pytest
import torch

from pipeir import api


class StandInKernel:
    """Accepts only its own dtype, N, K and strides of B, and any M, like the TVM-FFI entry
    point of a dynamic-M kernel, and writes its serial number into the output, so a test
    sees which kernel ran."""

    built = 0

    def __init__(self, a, b, tune=None):
        StandInKernel.built += 1
        self.serial = StandInKernel.built
        self.dtype = a.dtype
        self.b_k_major = b.stride() == (1, b.shape[0])
        b_read = b.t() if self.b_k_major else b
        self.signature = (a.shape[1], tuple(b_read.shape), b_read.stride())
        self.n = b.shape[1]
        self.c_dtype = a.dtype
        self.launches = 0
        self.validated_calls = 0
        self.m_seen = set()

    def function(self, a, b, out):
        if a.dtype != self.dtype or b.dtype != self.dtype or out.dtype != self.c_dtype:
            raise TypeError("dtype mismatch")
        if (a.shape[1], tuple(b.shape), b.stride()) != self.signature or a.stride() != (a.shape[1], 1):
            raise ValueError("shape or strides mismatch")
        if tuple(out.shape) != (a.shape[0], self.n):
            raise ValueError("out shape mismatch")
        self.launches += 1
        self.m_seen.add(a.shape[0])
        out.fill_(self.serial)

    def __call__(self, a, b, out=None):
        self.validated_calls += 1
        shape = (a.shape[0], self.n)
        if out is not None and tuple(out.shape) != shape:
            raise ValueError(f"out must have shape {shape}, got {tuple(out.shape)}")
        if out is None:
            out = torch.empty(shape, dtype=self.c_dtype)
        self.function(a, b, out)
        return out


@pytest.fixture(autouse=True)
def stand_in_kernels(monkeypatch):
    monkeypatch.setattr(api, "_kernels", {})
    monkeypatch.setattr(api, "_latest_kernel_of_shapes", {})
    monkeypatch.setattr(api, "_predicted_next", {})
    monkeypatch.setattr(api, "_last_follower", {})
    monkeypatch.setattr(api, "_previous_kernel", None)
    monkeypatch.setattr(api, "_kernel_for", StandInKernel)
    monkeypatch.setattr(StandInKernel, "built", 0)


def operands(dtype=torch.float16, b_k_major=False, m=64, n=32, k=48):
    a = torch.ones(m, k, dtype=dtype)
    b = torch.ones(n, k, dtype=dtype).t() if b_k_major else torch.ones(k, n, dtype=dtype)
    return a, b


def test_a_repeated_call_goes_straight_to_its_kernel() -> None:
    a, b = operands()
    api.matmul(a, b)
    (kernel,) = api.loaded_kernels()
    for _ in range(3):
        out = api.matmul(a, b)
        assert out.shape == (64, 32) and out.dtype == torch.float16
    assert (kernel.launches, kernel.validated_calls) == (4, 1)


@pytest.mark.parametrize(
    "first, second",
    [
        (dict(dtype=torch.float16), dict(dtype=torch.bfloat16)),
        (dict(b_k_major=False), dict(b_k_major=True)),
    ],
    ids=["dtypes", "layouts-of-b"],
)
def test_kernels_sharing_shapes_each_get_their_own_calls(first, second) -> None:
    calls = [operands(**first), operands(**second)] * 3
    serials = [int(api.matmul(a, b)[0, 0]) for a, b in calls]
    assert serials == [1, 2] * 3
    assert len(api.loaded_kernels()) == 2


def test_m_classes_that_differ_never_meet() -> None:
    small, large = operands(m=64), operands(m=128)  # decode and narrow
    serials = [int(api.matmul(*operands)[0, 0]) for operands in (small, large, small, large)]
    assert serials == [1, 2, 1, 2]
    assert all(kernel.validated_calls == 1 for kernel in api.loaded_kernels())


def test_every_m_of_a_class_shares_one_kernel() -> None:
    for m in range(1, 65):
        out = api.matmul(*operands(m=m))
        assert out.shape == (m, 32) and int(out[0, 0]) == 1
    (kernel,) = api.loaded_kernels()
    assert kernel.m_seen == set(range(1, 65)) and (kernel.m_lo, kernel.m_hi) == (1, 64)


def test_a_prediction_is_not_taken_across_m_classes() -> None:
    decode, wide = operands(m=8), operands(m=1024)
    for _ in range(3):
        api.matmul(*decode)
    # kernel 1 is predicted to follow itself, but M = 1024 is not its class
    assert int(api.matmul(*wide)[0, 0]) == 2
    assert [k.m_seen for k in api.loaded_kernels()] == [{8}, {1024}]


def test_an_out_of_another_m_is_explained_on_every_tier() -> None:
    a, b = operands(m=8)
    for _ in range(3):
        api.matmul(a, b)  # predicted from now on
    with pytest.raises(ValueError, match=r"out must have shape \(8, 32\)"):
        api.matmul(a, b, out=torch.empty(9, 32, dtype=torch.float16))


def test_m_zero_always_goes_to_the_checked_call() -> None:
    """M = 0 is the kernel's __call__ to answer (an empty product, no launch), on every
    tier: the bare entry point is never handed an empty grid."""
    for _ in range(3):
        assert api.matmul(*operands(m=0)).shape == (0, 32)
    (kernel,) = api.loaded_kernels()
    assert kernel.validated_calls == 3


@pytest.fixture
def keyed_calls(monkeypatch):
    """Counts the calls that needed a key (did not go to a predicted kernel)."""
    counted = []
    by_shapes = api._matmul_by_shapes

    def counting(a, b, out, tune=None):
        counted.append(tuple(a.shape))
        return by_shapes(a, b, out, tune)

    monkeypatch.setattr(api, "_matmul_by_shapes", counting)
    return counted


def test_a_cycle_of_products_is_predicted_after_two_turns(keyed_calls) -> None:
    layers = [operands(m=64), operands(m=128), operands(m=512)]  # decode, narrow, wide
    keyed_after_each_turn = []
    for turn in range(5):
        serials = [int(api.matmul(*layer)[0, 0]) for layer in layers]
        assert serials == [1, 2, 3]
        keyed_after_each_turn.append(len(keyed_calls))
    # The second turn confirms 64 -> 128 -> 192; the wrap 192 -> 64 is first seen then,
    # and confirmed in the third turn; from there on no call builds a key.
    assert keyed_after_each_turn == [3, 6, 7, 7, 7]


def test_a_wrong_prediction_falls_back_and_is_forgotten(keyed_calls) -> None:
    first, second, other = operands(m=64), operands(m=128), operands(m=100, n=40)  # other: second's M class
    for _ in range(3):
        api.matmul(*first)
        api.matmul(*second)
    keyed_calls.clear()
    api.matmul(*first)
    assert int(api.matmul(*other)[0, 0]) == 3  # predicted `second`, TVM-FFI refused it
    assert keyed_calls == [(100, 48)]
    api.matmul(*first)
    api.matmul(*second)
    # nothing ever followed `other`, and the prediction after `first` was dropped
    assert keyed_calls == [(100, 48), (64, 48), (128, 48)]


def test_a_bad_out_on_the_hit_path_is_explained() -> None:
    a, b = operands()
    for _ in range(3):
        api.matmul(a, b)  # predicted from now on
    with pytest.raises(ValueError, match=r"out must have shape \(64, 32\)"):
        api.matmul(a, b, out=torch.empty(64, 40, dtype=torch.float16))


def test_non_tensors_are_refused_by_name() -> None:
    a, _ = operands()
    with pytest.raises(TypeError, match="takes torch tensors, got Tensor and list"):
        api.matmul(a, [[1.0]])
