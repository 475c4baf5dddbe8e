"""Launch one pipeir form of a GEMM a few times, for a profiler to watch.

    python3 bench/profile_one.py naive|full [--dtype bf16] [--shape 4096x4096x4096]
"""

import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pipeir  # noqa: E402
from pipeir.target.spec import GemmConfig  # noqa: E402
from pipeir.runtime.objects import TORCH_DTYPES  # noqa: E402
from pipeir.passes import HEADLINE_PIPELINE  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("form", choices=("naive", "full"))
parser.add_argument("--dtype", default="bf16", choices=("f16", "bf16", "f8e4m3"))
parser.add_argument("--shape", default="4096x4096x4096")
args = parser.parse_args()
m, n, k = (int(x) for x in args.shape.split("x"))
config = GemmConfig(m=m, n=n, k=k, dtype=args.dtype, cluster=(2, 1))
kernel = pipeir.compile(config, passes=HEADLINE_PIPELINE if args.form == "full" else (), tune=False)
dtype = TORCH_DTYPES[args.dtype]
a = torch.randn(m, k, device="cuda").to(dtype)
b = torch.randn(n, k, device="cuda").to(dtype)
for _ in range(3):
    kernel(a, b)
torch.cuda.synchronize()
