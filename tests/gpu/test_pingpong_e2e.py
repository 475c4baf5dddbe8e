"""The pingpong schedule on the GPU (sm_90a): each MMA warpgroup computes whole tiles of
its own, the two taking turns. Plain and fused (fp8 rowwise scales + bias + silu,
tensorwise scales + gelu) kernels, fp8 and bf16, tiles 128x128, 64x256 and 128x64,
clusters 1x1 and 2x1, serial and overlapped consumers, and swap_ab (64-row tiles of the
weights, decode sizes); edge shapes (M, N not multiples of
the tile, a K tail) and grids with several tiles per CTA, so that both warpgroups get
tiles and some CTAs an odd number (the last tile's turn meets no partner). Outputs are
NaN-poisoned first and compared, in the Frobenius norm, with a float32 reference.

Each case runs in a fresh process under a time limit, so a hang (an order barrier that
never passes) or a device fault fails its case alone. A kernel is compiled once with M,
N and K known only at run time and then called at every shape; a static kernel at
4096^3 is checked too.

    python -m pytest tests/gpu/test_pingpong_e2e.py -q
"""

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
    shapes = [tuple(shape) for shape in fields.pop("shapes")]
    config = config_of(fields)
    kernel = pipeir.compile(config, tune=False)
    assert kernel.kernel.is_pingpong
    worst = 0.0
    for m, n, k in shapes:
        a, b, operands, reference = random_problem(config, m, n, k)
        c = torch.full((m, n), float("nan"), device="cuda", dtype=TORCH_DTYPES[config.c_dtype])
        kernel(a, b, out=c, **operands)
        torch.cuda.synchronize()
        error = ((c.float() - reference).norm() / reference.norm()).item()
        tolerance = 5e-3 if config.dtype.startswith("f8") else 2e-3
        if not error < tolerance:  # NaN (an unwritten element) fails too
            print(json.dumps(dict(shape=[m, n, k], error=error)))
            sys.exit(1)
        worst = max(worst, error)
    print(json.dumps(dict(worst=worst, shapes=len(shapes))))
    """
)

# M x N tile grids of 3 x 3 .. 20 x 17 tiles: with the 132-SM persistent grid, CTAs get 1 to
# 3 tiles (odd and even counts); edge tiles in M and N, and K tails. N and K keep TMA's
# 16-byte rows (N a multiple of 8 for the 16-bit output, K of 16 for fp8).
EDGE_SHAPES = [(300, 520, 208), (1000, 1000, 1008), (2500, 2104, 528), (129, 4104, 96), (64, 64, 64)]
# swap_ab's: decode sizes (M = 1, 3, 17: a fraction of one tile's columns), and grids of
# 171 and 297 64-row tiles, more than the 132 CTAs
SWAP_AB_SHAPES = [(1, 4096, 4096), (3, 1000, 1008), (17, 520, 208), (64, 4104, 96), (129, 2104, 528),
                  (300, 520, 208)]
CASES = {
    "fp8-128x128-rowwise-bias-silu": dict(dtype="f8e4m3", tile=[128, 128, 128], cluster=[1, 1], scale="rowwise",
                                          bias=True, activation="silu"),
    "fp8-64x256-rowwise-bias-silu-cluster2x1": dict(dtype="f8e4m3", tile=[64, 256, 128], cluster=[2, 1],
                                                    scale="rowwise", bias=True, activation="silu"),
    "fp8-128x64-plain": dict(dtype="f8e4m3", tile=[128, 64, 128], cluster=[1, 1]),
    "fp8-128x128-tensorwise-gelu-serial": dict(dtype="f8e4m3", tile=[128, 128, 128], cluster=[1, 2],
                                               scale="tensorwise", activation="gelu", mma_in_flight=0),
    "bf16-128x128-plain-cluster2x1": dict(dtype="bf16", tile=[128, 128, 64], cluster=[2, 1]),
    "bf16-64x256-bias-silu": dict(dtype="bf16", tile=[64, 256, 64], cluster=[1, 1], bias=True, activation="silu"),
    "bf16-128x64-plain-serial": dict(dtype="bf16", tile=[128, 64, 64], cluster=[2, 2], mma_in_flight=0),
    # swap_ab: 64-row tiles of the weights (B), so that decode shapes get twice the CTAs of
    # the cooperative 128-row tile; the output is stored transposed
    "bf16-64x32-swap-ab-raster-n": dict(dtype="bf16", tile=[64, 32, 128], cluster=[1, 1], swap_ab=True, raster="n",
                                        shapes=SWAP_AB_SHAPES),
    "fp8-64x32-swap-ab-rowwise-bias-silu": dict(dtype="f8e4m3", tile=[64, 32, 256], cluster=[1, 1], swap_ab=True,
                                                scale="rowwise", bias=True, activation="silu",
                                                shapes=SWAP_AB_SHAPES),
    "bf16-64x16-swap-ab-cluster2x1-serial": dict(dtype="bf16", tile=[64, 16, 64], cluster=[2, 1], swap_ab=True,
                                                 mma_in_flight=0, shapes=SWAP_AB_SHAPES),
    "fp8-64x64-swap-ab-cluster1x2-rowwise-bias": dict(dtype="f8e4m3", tile=[64, 64, 256], cluster=[1, 2],
                                                      swap_ab=True, scale="rowwise", bias=True,
                                                      shapes=SWAP_AB_SHAPES),
    "fp8-64x128-swap-ab-tensorwise-gelu": dict(dtype="f8e4m3", tile=[64, 128, 128], cluster=[1, 2], swap_ab=True,
                                               scale="tensorwise", activation="gelu", shapes=SWAP_AB_SHAPES),
}
TIME_LIMIT_S = 600


def run_case(fields: dict) -> dict:
    result = subprocess.run([sys.executable, "-c", CASE, json.dumps(fields)], capture_output=True, text=True,
                            timeout=TIME_LIMIT_S, env=case_environment())
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("case", CASES)
def test_pingpong_dynamic_kernel_on_edge_shapes(case) -> None:
    fields = dict(m=None, n=None, k=None, pingpong=True, shapes=EDGE_SHAPES) | CASES[case]
    assert run_case(fields)["shapes"] == len(fields["shapes"])


@pytest.mark.parametrize("dtype, tile", [("f8e4m3", [128, 128, 128]), ("bf16", [128, 128, 64])])
def test_pingpong_static_kernel(dtype, tile) -> None:
    """4096^3: 1024 tiles on 132 CTAs, 7 or 8 tiles a CTA (both parities), rowwise fp8."""
    fused = dict(scale="rowwise", bias=True, activation="silu") if dtype == "f8e4m3" else {}
    fields = dict(m=4096, n=4096, k=4096, dtype=dtype, tile=tile, cluster=[1, 1], pingpong=True,
                  shapes=[(4096, 4096, 4096)], **fused)
    assert run_case(fields)["shapes"] == 1
