"""Split-K on the GPU: numerics of split-K kernels on edge shapes against a float32
product (M, N and K not multiples of the tile, M = 1, fewer k-tiles than splits), with
and without swap_ab, bf16, f16 and fp8, a fused epilogue applied once after the
reduction, outputs poisoned with NaN first; bitwise identical results over repeated
launches and on another stream (the reduction sums the splits in split order).

Each case runs in a fresh process, so a device fault fails its case alone. A kernel is
compiled once with M, N and K known only at run time and then called at every shape."""

import json
import subprocess
import sys
import textwrap

import pytest
from fused_reference import case_environment

pytestmark = pytest.mark.gpu

CASE = textwrap.dedent(
    """
    import json, sys, torch
    import pipeir
    from pipeir.runtime.objects import TORCH_DTYPES
    from fused_reference import config_of, random_problem
    fields = json.loads(sys.argv[1])
    config = config_of(fields)
    tile_k = config.tile_shape[2]
    # K: one k-tile (fewer than the splits), two with a tail, many with a tail
    ks = (tile_k // 2, tile_k + tile_k // 4, 1000 if tile_k == 64 else 1008)
    shapes = [(m, n, k) for m in (1, 7, 17, 129) for n in (8, 136, 264) for k in ks]
    kernel = pipeir.compile(config, tune=False)
    assert kernel.kernel.split_k_count == config.split_k
    worst = 0.0
    for m, n, k in shapes:
        a, b, operands, reference = random_problem(config, m, n, k)
        outputs = []
        for _ in range(3):
            c = torch.full((m, n), float("nan"), device="cuda", dtype=TORCH_DTYPES[config.c_dtype])
            kernel(a, b, out=c, **operands)
            outputs.append(c)
        stream = torch.cuda.Stream()
        # a, b and the operands come from the default stream: the launch on the other
        # stream must not start before they are written (a non-blocking stream does not
        # wait for the default stream by itself).
        stream.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(stream):
            c = torch.full((m, n), float("nan"), device="cuda", dtype=TORCH_DTYPES[config.c_dtype])
            kernel(a, b, out=c, **operands)
        stream.synchronize()
        outputs.append(c)
        bits = [output.view(torch.int16) for output in outputs]
        if not all(torch.equal(bits[0], other) for other in bits[1:]):
            print(json.dumps(dict(shape=[m, n, k], nondeterministic=True)))
            sys.exit(1)
        error = ((outputs[0].float() - reference).norm() / reference.norm()).item()
        if not error < 1e-2:
            print(json.dumps(dict(shape=[m, n, k], error=error)))
            sys.exit(1)
        worst = max(worst, error)
    print(json.dumps(dict(worst=worst, shapes=len(shapes))))
    """
)

SCHEDULES = {
    "swap_ab-128x64-split4": dict(swap_ab=True, tile=[128, 64], cluster=[1, 1], split_k=4),
    "swap_ab-128x16-split3-cluster2x1": dict(swap_ab=True, tile=[128, 16], cluster=[2, 1], split_k=3),
    "128x64-split2": dict(swap_ab=False, tile=[128, 64], cluster=[1, 1], split_k=2),
    "128x256-split3-cluster1x2": dict(swap_ab=False, tile=[128, 256], cluster=[1, 2], split_k=3),
}


def run(script: str, *arguments: str) -> dict:
    result = subprocess.run([sys.executable, "-c", script, *arguments], capture_output=True, text=True,
                            timeout=600, check=False, env=case_environment())
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("dtype", ["bf16", "f16", "f8e4m3"])
@pytest.mark.parametrize("schedule", list(SCHEDULES))
def test_split_k_numerics_and_determinism_on_edge_shapes(schedule, dtype) -> None:
    fields = dict(SCHEDULES[schedule], m=None, n=None, k=None, dtype=dtype)
    fields["tile"] = [*fields["tile"], 128 if dtype.startswith("f8") else 64]
    result = run(CASE, json.dumps(fields))
    assert result["shapes"] == 36 and result["worst"] < 1e-2


def test_fused_epilogue_applies_once_after_the_reduction() -> None:
    """fp8 with rowwise scales, a bias and relu: applied to the partials, the bias would
    count S times and relu would clip the partials."""
    fields = dict(m=None, n=None, k=None, dtype="f8e4m3", tile=[128, 64, 128], cluster=[1, 1], split_k=3,
                  scale="rowwise", bias=True, activation="relu")
    result = run(CASE, json.dumps(fields))
    assert result["worst"] < 1e-2
