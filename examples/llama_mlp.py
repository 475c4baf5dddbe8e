"""A Llama-3-8B-shaped MLP block (SwiGLU) on pipeir's kernels, against torch.

    python examples/llama_mlp.py [--tokens 1,16,128,1024,4096] [--hidden 4096]
                                 [--intermediate 14336] [--dtype bf16] [--tune] [--fp8]
                                 [--out FILE]

    down_proj(silu(gate_proj(x)) * up_proj(x)),  x (tokens, hidden)

Random weights (nn.Linear's initialisation, seeded), no download. For each token count
the block runs in torch and in pipeir (`pipeir.nn.Linear`, SiLU fused into gate_proj's
epilogue where pipeir.matmul has one), each in eager mode, under
torch.compile(fullgraph=True) and replayed from a CUDA graph. Checked: the graph breaks
of the compiled pipeir block (torch._dynamo.explain: 0), and every pipeir output against
a float32 torch product of the same weights (relative Frobenius error, beside torch's
own bf16 error). Timed: CUDA events around back-to-back forwards, the median of
several batches. The table comes last; with --out (or $OUT set) it is also written
there as Markdown. Exit status 1 when a check fails.

Kernels are compiled (or loaded from pipeir's cache) on the first call at each shape.
Without --tune the builder's default configuration is used (PIPEIR_TUNE=0), which
keeps the run to minutes; --tune autotunes each new GEMM shape first (or uses the
choice `pipeir-tune` cached).
"""

from __future__ import annotations

import argparse
import copy
import os
import statistics
import sys
from pathlib import Path

import torch
import torch.nn.functional as F

DTYPES = {"bf16": torch.bfloat16, "f16": torch.float16}
MAX_RELATIVE_ERROR = 2e-2


class LlamaMLP(torch.nn.Module):
    """Llama's feed-forward block; `gate_activation_fused` when gate_proj applies the SiLU."""

    def __init__(self, gate_proj, up_proj, down_proj, gate_activation_fused: bool = False):
        super().__init__()
        self.gate_proj, self.up_proj, self.down_proj = gate_proj, up_proj, down_proj
        self.gate_activation_fused = gate_activation_fused

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate = self.gate_proj(x)
        if not self.gate_activation_fused:
            gate = F.silu(gate)
        return self.down_proj(gate * self.up_proj(x))


def torch_block(hidden: int, intermediate: int, dtype: torch.dtype) -> LlamaMLP:
    torch.manual_seed(0)
    linear = lambda i, o: torch.nn.Linear(i, o, bias=False, device="cuda", dtype=dtype)  # noqa: E731
    return LlamaMLP(linear(hidden, intermediate), linear(hidden, intermediate), linear(intermediate, hidden))


def pipeir_block(block: LlamaMLP) -> LlamaMLP:
    from pipeir.nn import Linear

    return LlamaMLP(Linear.from_linear(block.gate_proj, activation="silu"), Linear.from_linear(block.up_proj),
                    Linear.from_linear(block.down_proj), gate_activation_fused=True)


def pipeir_fp8_block(block: LlamaMLP) -> LlamaMLP:
    from pipeir.nn import Fp8Linear

    return LlamaMLP(Fp8Linear.from_linear(block.gate_proj, activation="silu"), Fp8Linear.from_linear(block.up_proj),
                    Fp8Linear.from_linear(block.down_proj), gate_activation_fused=True)


def relative_error(y: torch.Tensor, ref: torch.Tensor) -> float:
    return ((y.float() - ref).norm() / ref.norm()).item()


def in_cuda_graph(block, x):
    """A replay function of `block(x)` captured in a CUDA graph (static input x)."""
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        for _ in range(3):  # warm-up off the capture: kernels load, allocator settles
            block(x)
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        y = block(x)

    def replay(_x):
        graph.replay()
        return y

    return replay


def time_ms(function, x, batches: int = 7, target_ms: float = 50.0) -> float:
    """Median milliseconds per call over `batches` batches of back-to-back calls."""
    for _ in range(3):
        function(x)
    torch.cuda.synchronize()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    function(x)
    end.record()
    end.synchronize()
    calls = max(3, min(500, int(target_ms / max(start.elapsed_time(end), 1e-3))))
    medians = []
    for _ in range(batches):
        start.record()
        for _ in range(calls):
            function(x)
        end.record()
        end.synchronize()
        medians.append(start.elapsed_time(end) / calls)
    return statistics.median(medians)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tokens", default="1,16,128,1024,4096", help="token counts M, comma-separated")
    parser.add_argument("--hidden", type=int, default=4096)
    parser.add_argument("--intermediate", type=int, default=14336)
    parser.add_argument("--dtype", choices=tuple(DTYPES), default="bf16")
    parser.add_argument("--tune", action="store_true", help="autotune each new GEMM shape (slow the first time)")
    parser.add_argument("--fp8", action="store_true", help="also run the block with pipeir.nn.Fp8Linear (eager)")
    parser.add_argument("--out", default=None, help="write the table here as Markdown (default: $OUT/llama_mlp.md)")
    args = parser.parse_args(argv)
    try:
        tokens = [int(t) for t in args.tokens.split(",")]
    except ValueError:
        parser.error(f"--tokens takes comma-separated integers, got '{args.tokens}'")
    if not torch.cuda.is_available():
        print("llama_mlp: error: needs a CUDA GPU (H100/H200)", file=sys.stderr)
        return 2
    if not args.tune:
        os.environ["PIPEIR_TUNE"] = "0"
    import pipeir.nn  # noqa: F401  (loads pipeir's modules and its custom ops)
    from pipeir import api

    dtype = DTYPES[args.dtype]
    torch_mlp = torch_block(args.hidden, args.intermediate, dtype)
    pipeir_mlp = pipeir_block(torch_mlp)
    fp8_mlp = None
    if args.fp8:
        if hasattr(api, "scaled_mm"):
            fp8_mlp = pipeir_fp8_block(torch_mlp)
        else:
            print("note: --fp8 skipped: this pipeir has no pipeir.api.scaled_mm")
    torch._dynamo.config.cache_size_limit = max(torch._dynamo.config.cache_size_limit, 4 * len(tokens))
    compiled_torch = torch.compile(torch_mlp, fullgraph=True, dynamic=False)
    compiled_pipeir = torch.compile(pipeir_mlp, fullgraph=True, dynamic=False)
    float_mlp = copy.deepcopy(torch_mlp).float()  # the reference: the same weights in float32
    failures = []
    rows = []
    print(f"Llama MLP hidden {args.hidden} intermediate {args.intermediate} {args.dtype} on "
          f"{torch.cuda.get_device_name()}; tuning {'on' if args.tune else 'off (PIPEIR_TUNE=0)'}", flush=True)
    with torch.no_grad():
        for m in tokens:
            x = torch.randn(m, args.hidden, device="cuda", dtype=dtype)
            ref = float_mlp(x.float())
            explanation = torch._dynamo.explain(pipeir_mlp)(x)
            breaks = explanation.graph_break_count
            if breaks:
                failures.append(f"M={m}: {breaks} graph breaks: {[str(r) for r in explanation.break_reasons]}")
            variants = {
                "torch eager": torch_mlp,
                "torch compiled": compiled_torch,
                "torch cuda graph": in_cuda_graph(torch_mlp, x),
                "pipeir eager": pipeir_mlp,
                "pipeir compiled": compiled_pipeir,
                "pipeir cuda graph": in_cuda_graph(pipeir_mlp, x),
            }
            if fp8_mlp is not None:
                variants["pipeir fp8 eager"] = fp8_mlp
            row = {"tokens": m, "graph breaks": breaks}
            for name, function in variants.items():
                print(f"  M={m}: {name}", flush=True)
                error = relative_error(function(x), ref)
                bound = MAX_RELATIVE_ERROR * (4 if "fp8" in name else 1)
                if not error <= bound:  # NaN fails too
                    failures.append(f"M={m}: {name}: relative error {error:.2e} > {bound:.0e}")
                row[name] = (time_ms(function, x), error)
            rows.append(row)
    names = [n for n in rows[0] if n not in ("tokens", "graph breaks")]
    lines = [
        f"Llama-3-8B MLP (hidden {args.hidden}, intermediate {args.intermediate}, SwiGLU, {args.dtype}) on "
        f"{torch.cuda.get_device_name()}, torch {torch.__version__}, tuning {'on' if args.tune else 'off'}: "
        "ms per forward (median of 7 batches), relative error against float32 torch",
        "",
        "| tokens | " + " | ".join(names) + " | pipeir/torch eager | pipeir/torch compiled | graph breaks |",
        "|---" * (len(names) + 4) + "|",
    ]
    for row in rows:
        cells = [f"{row[n][0]:.4f} ({row[n][1]:.1e})" for n in names]
        eager = row["torch eager"][0] / row["pipeir eager"][0]
        compiled = row["torch compiled"][0] / row["pipeir compiled"][0]
        lines.append(f"| {row['tokens']} | " + " | ".join(cells)
                     + f" | {eager:.2f}x | {compiled:.2f}x | {row['graph breaks']} |")
    lines.append("")
    lines.append("(speed-ups: torch time / pipeir time; above 1 pipeir is faster)")
    table = "\n".join(lines)
    out = args.out or (os.path.join(os.environ["OUT"], "llama_mlp.md") if os.environ.get("OUT") else None)
    if out:
        Path(out).write_text(table + "\n" + "".join(f"\nFAILED: {f}" for f in failures) + "\n")
    for failure in failures:
        print(f"FAILED: {failure}")
    print(table)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
