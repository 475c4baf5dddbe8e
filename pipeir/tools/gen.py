"""`pipeir-gen`: emit a naive-form kernel as `pipe` IR.

    pipeir-gen gemm --m 4096 --n 4096 --k 4096 --dtype bf16 --tile 128x256x64 \\
        --stages 4 --cluster 2x1 --arch sm_90a [--raster n] [--raster-group 8] [--b-major mn] [--mma-in-flight 0|1] [--no-warp-specialize]
        [--swap-ab] [--split-k S] [--pingpong] [--row-slabs] [--b-evict-first]
        [--scale tensorwise|rowwise] [--bias] [--activation relu|gelu|gelu_tanh|silu|swiglu]

A size given as `dyn` (or left out) is known only at run time.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import NoReturn

from pipeir.build import gemm
from pipeir.target import DTYPE_ALIASES, EPILOGUE_ACTIVATIONS, Arch, Major, Raster, Scale, dtype_name
from pipeir.target.spec import ConfigError, GemmConfig
from pipeir.version import __version__

PROG = "pipeir-gen"


def fail(message: str) -> NoReturn:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    sys.exit(2)


def is_positive_integer(text: str) -> bool:
    # ASCII only: str.isdigit also accepts '²', which int() refuses.
    return text.isascii() and text.isdigit() and int(text) > 0


def size(text: str) -> int | None:
    if text == "dyn":
        return None
    if not is_positive_integer(text):
        raise argparse.ArgumentTypeError(f"expected a positive integer or 'dyn', got '{text}'")
    return int(text)


def dtype_argument(text: str) -> str:
    """A --dtype value: a configuration's dtype name or an alias users type (fp16, half,
    bfloat16, fp8, e4m3, ...; pipeir.target.DTYPE_ALIASES)."""
    try:
        return dtype_name(text)
    except ConfigError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def dtype_choices() -> str:
    return ", ".join(f"{name} ({'/'.join(aliases)})" for name, aliases in DTYPE_ALIASES.items())


def shape(count: int) -> type:
    def parse(text: str) -> tuple[int, ...]:
        parts = text.lower().split("x")
        if len(parts) != count or not all(map(is_positive_integer, parts)):
            example = "128x256x64" if count == 3 else "2x1"
            raise argparse.ArgumentTypeError(
                f"expected a shape of positive sizes like {example}, got '{text}'")
        return tuple(int(p) for p in parts)

    return parse


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog=PROG, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    top.error = fail
    top.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    kinds = top.add_subparsers(dest="kind", required=True, metavar="KIND")
    g = kinds.add_parser("gemm", help="warp-specialized persistent GEMM, C = A @ B")
    g.error = fail
    g.add_argument("--m", type=size, default=None, help="rows of A and C, or 'dyn'")
    g.add_argument("--n", type=size, default=None, help="columns of B and C, or 'dyn'")
    g.add_argument("--k", type=size, default=None, help="reduction size, or 'dyn'")
    g.add_argument("--dtype", type=dtype_argument, default="bf16", metavar="DTYPE",
                   help=f"A and B element type: {dtype_choices()} (default bf16)")
    g.add_argument("--out-dtype", type=dtype_argument, default=None, metavar="DTYPE",
                   help="C element type, f16, bf16 or f32 or an alias (default: f16 for f16 inputs, else bf16)")
    g.add_argument("--tile", type=shape(3), default=None,
                   help="MxNxK CTA tile (default 128x256x64, 128x256x128 for fp8)")
    g.add_argument("--stages", type=int, default=None,
                   help="AB ring depth (default: the most that fit shared memory)")
    g.add_argument("--cluster", type=shape(2), default=None,
                   help="cluster shape MxN: 1x1 (default), 2x1, 1x2, 2x2")
    g.add_argument("--raster", choices=tuple(Raster), default=None,
                   help="order of output tiles in the persistent schedule: along M (default) or N")
    g.add_argument("--raster-group", type=int, default=None, metavar="G",
                   help="walk the output tiles in bands of G cluster tiles across the raster order "
                        "(CUTLASS's swizzle; default 1: whole columns or rows)")
    g.add_argument("--arch", choices=tuple(Arch), default="sm_90a")
    g.add_argument("--b-major", choices=tuple(Major), default="k", help="B layout: K-major or MN-major")
    g.add_argument("--no-warp-specialize", action="store_true",
                   help="producer and consumer share the same warps (rolling is then unsafe)")
    g.add_argument("--mma-in-flight", type=int, choices=(0, 1), default=None,
                   help="MMA batches the consumer keeps running while it waits for the next stage: "
                        "1 releases each stage one k-tile late, 0 waits for every batch (default: 1 "
                        "with 4+ stages and warp specialization on sm_90a, else 0)")
    g.add_argument("--scale", choices=[str(s) for s in Scale], default=None,
                   help="epilogue: multiply by f32 scales of A and B, one each (tensorwise) or per row of A "
                        "and per column of B (rowwise); the kernel takes scale_a, scale_b")
    g.add_argument("--bias", action="store_true",
                   help="epilogue: add a per-column (N) bias of the output dtype; the kernel takes bias")
    g.add_argument("--activation", choices=[str(a) for a in EPILOGUE_ACTIVATIONS], default=None,
                   help="epilogue: apply this activation last, before the conversion to the output dtype; "
                        "swiglu gates column pairs, silu(x[:, 2j]) * x[:, 2j+1], so C is (M, N/2) "
                        "(sm_90a, not with --swap-ab)")
    g.add_argument("--swap-ab", action="store_true",
                   help="compute C^T = B @ A^T so that N fills the MMA's M (decode: small M); --tile, "
                        "--cluster and --raster are then the MMA's, over (N, M); B must be K-major")
    g.add_argument("--split-k", type=int, default=None, metavar="S",
                   help="split each output tile's K loop into S slices run by separate work units, "
                        "reduced deterministically (in split order) before one epilogue; sm_90a")
    g.add_argument("--pingpong", action="store_true",
                   help="pingpong consumer schedule (sm_90a): each MMA warpgroup computes whole tiles of its "
                        "own, alternate tiles of the CTA, and the two take turns so that one's MMAs hide the "
                        "other's epilogue; --tile is one warpgroup's (tile_m 64 or 128, at most 128 "
                        "accumulators a thread; default 128x128); with --swap-ab a tile_m of 64 is a "
                        "64-row tile of the weights (decode)")
    g.add_argument("--row-slabs", action="store_true",
                   help="load an operand whose rows may run past its end (dynamic or ragged M or N) by "
                        "8-row slabs at its edge tile (a tile inside loads whole), skipping the slabs past the "
                        "end instead of zero-filling them (sm_90a; an operand multicast in a cluster loads whole; "
                        "decode: most of a token tile is past M)")
    g.add_argument("--b-evict-first", action="store_true",
                   help="load B's tiles with an L2 evict-first cache policy, so that streamed weights, "
                        "read once, do not evict what the L2 holds for others (sm_90a)")
    g.add_argument("--name", default="gemm", help="kernel symbol name")
    g.add_argument("-o", "--output-file", default=None, help="write the IR here instead of stdout")
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    config = GemmConfig(
        m=args.m, n=args.n, k=args.k, dtype=args.dtype, out_dtype=args.out_dtype,
        tile=args.tile, stages=args.stages, cluster=args.cluster, raster=args.raster, raster_group=args.raster_group, arch=args.arch,
        b_major=args.b_major, warp_specialize=not args.no_warp_specialize,
        mma_in_flight=args.mma_in_flight, swap_ab=args.swap_ab, split_k=args.split_k, pingpong=args.pingpong,
        row_slabs=args.row_slabs, b_evict_first=args.b_evict_first, name=args.name,
        scale=args.scale, bias=args.bias, activation=args.activation,
    )
    try:
        text = str(gemm(config)) + "\n"
    except ConfigError as error:
        fail(str(error))
    if args.output_file is None:
        sys.stdout.write(text)
    else:
        try:
            with open(args.output_file, "w") as out:
                out.write(text)
        except OSError as error:
            fail(f"cannot write '{args.output_file}': {error.strerror}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
