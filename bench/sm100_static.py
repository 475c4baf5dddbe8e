"""Static SASS of the write-up's Blackwell configuration, compiled on the CPU (no GPU):
pipeir's naive kernel, pipeir after the headline pipeline, the same with each fused
epilogue (`EPILOGUES`: the scales, bias and activations of docs/epilogue.md), and
CUTLASS's own CuTe DSL example `blackwell/.../dense_gemm_persistent.py` compiled the
same way.

    python bench/sm100_static.py CUTLASS_DIR [--out FILE]

The configuration (docs/../shared/reference write-up): fp8 e4m3 -> bf16, 4096^3, a
256x128x128 UMMA tile issued by a CTA pair (cta_group::2, cluster 2x1: pipeir's CTA tile
128x128x128), 8 stages. CUTLASS_DIR is a CUTLASS checkout you provide (nothing of it is
part of pipeir); its example is compiled with its own stage heuristic, mma tiler 256x128,
cluster 2x1, 2-CTA instructions and TMA store, on fake tensors, for sm_100a. Both are
disassembled with the nvidia-cuda-nvdisasm wheel and counted by pipeir.tools.stats.
Prints a table last (and writes it to FILE, or under $OUT when that is set).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("CUTE_DSL_ARCH", "sm_100a")

from pipeir.build import gemm  # noqa: E402
from pipeir.lower import lower_module  # noqa: E402
from pipeir.passes import HEADLINE_PIPELINE, run_passes  # noqa: E402
from pipeir.runtime.sources import load_kernel_module  # noqa: E402
from pipeir.target.spec import GemmConfig  # noqa: E402
from pipeir.tools import stats as sass_stats  # noqa: E402

ARCH = "sm_100a"
M = N = K = 4096
WRITEUP = GemmConfig(m=M, n=N, k=K, dtype="f8e4m3", out_dtype="bf16", tile=(128, 128, 128), stages=8,
                     cluster=(2, 1), arch=ARCH)
EPILOGUES = {
    "rowwise scale + bias + silu": {"scale": "rowwise", "bias": True, "activation": "silu"},
    "tensorwise scale": {"scale": "tensorwise"},
    "bias + gelu": {"bias": True, "activation": "gelu"},
}
"""The fused epilogues compiled after the headline pipeline, by column."""
ROWS = ("utmaldg", "umma", "utmastg", "s2ur", "s2ur_in_k_loop", "syncs", "instructions", "registers", "spills")


def pipeir_stats(config: GemmConfig, passes, dump_dir: Path) -> sass_stats.SassStats:
    module = gemm(config)
    run_passes(module, passes)
    python_module = load_kernel_module(lower_module(module), dump_dir / "kernels")
    (only,) = sass_stats.stats_for_module(python_module, dump_dir=str(dump_dir / "cubin"), arch=ARCH).values()
    return only


def find_example(checkout: Path) -> Path:
    matches = sorted(p for p in checkout.rglob("dense_gemm_persistent.py")
                     if "blackwell" in p.parts and "CuTeDSL" in p.parts)
    if not matches:
        sys.exit(f"no CuTeDSL blackwell dense_gemm_persistent.py under {checkout}")
    return matches[0]


def cutlass_stats(checkout: Path, dump_dir: Path) -> tuple[sass_stats.SassStats, Path]:
    import cutlass
    import cutlass.cute as cute

    path = find_example(checkout)
    spec = importlib.util.spec_from_file_location("cutlass_blackwell_dense_gemm_persistent", path)
    example = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(path.parent))
    spec.loader.exec_module(example)
    kernel = example.PersistentDenseGemmKernel(cutlass.Float32, True, (256, 128), (2, 1), True)

    def tensor(dtype, rows, cols):  # (rows, cols, L=1), cols contiguous
        return cute.runtime.make_fake_compact_tensor(dtype, (rows, cols, 1), stride_order=(1, 0, 2),
                                                     assumed_align=16)

    a = tensor(cutlass.Float8E4M3FN, M, K)
    b = tensor(cutlass.Float8E4M3FN, N, K)
    c = tensor(cutlass.BFloat16, M, N)
    stream = cute.runtime.make_fake_stream()
    out = dump_dir / "cutlass"
    out.mkdir(parents=True, exist_ok=True)
    max_clusters = 148 // 2  # B200: one 2-CTA cluster per SM pair
    cute.compile(kernel, a, b, c, max_clusters, stream,
                 options=f"--gpu-arch {ARCH} --keep-cubin --dump-dir {out}")
    stats = {}
    for cubin in sorted(out.glob("*.cubin")):
        for name, st in sass_stats.parse_sass(sass_stats.disassemble(cubin)).items():
            info = sass_stats._cubin_info(cubin).get(name, {})
            st.registers, st.frame_size = info.get("registers"), info.get("frame_size")
            stats[name] = st
    (only,) = stats.values()
    return only, path


def table(columns: dict[str, sass_stats.SassStats]) -> str:
    lines = ["| | " + " | ".join(columns) + " |", "|---|" + "---|" * len(columns)]
    for row in ROWS:
        values = [getattr(st, row) if row != "spills" else st.spills for st in columns.values()]
        lines.append(f"| {row} | " + " | ".join(str(v) for v in values) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("cutlass_dir", type=Path, help="a CUTLASS checkout (for its CuTe DSL example)")
    parser.add_argument("--out", type=Path, default=None, help="also write the table here")
    args = parser.parse_args()
    if not args.cutlass_dir.is_dir():
        parser.error(f"{args.cutlass_dir} is not a directory")
    with tempfile.TemporaryDirectory(prefix="pipeir_sm100_") as scratch:
        scratch = Path(scratch)
        columns = {
            "pipeir naive": pipeir_stats(WRITEUP, (), scratch / "naive"),
            "pipeir headline pipeline": pipeir_stats(WRITEUP, HEADLINE_PIPELINE, scratch / "rolled"),
        }
        for index, (name, epilogue) in enumerate(EPILOGUES.items()):
            config = replace(WRITEUP, **epilogue)
            columns[f"pipeir headline, {name}"] = pipeir_stats(config, HEADLINE_PIPELINE, scratch / f"epilogue{index}")
        reference, path = cutlass_stats(args.cutlass_dir, scratch)
        columns["CUTLASS dense_gemm_persistent.py"] = reference
    text = (f"fp8 e4m3 -> bf16, {M}x{N}x{K}, UMMA tile 256x128x128 (cta_group::2), cluster 2x1, "
            f"pipeir {WRITEUP.stage_count} stages; {ARCH}, static SASS\n"
            f"CUTLASS example: {path.relative_to(args.cutlass_dir)}\n\n{table(columns)}\n")
    out = args.out or (Path(os.environ["OUT"]) / "sm100_static.md" if os.environ.get("OUT") else None)
    if out is not None:
        out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
