"""sm_90a (Hopper, H100/H200): TMA loads, WGMMA from shared memory into registers."""

from __future__ import annotations

from pipeir.target.base import Arch, GemmTarget


class Sm90Target(GemmTarget):
    """Two consumer warpgroups split the tile's M between them (64 rows of WGMMA each,
    at least), so tile_m is 128 or 256; each holds its half of the f32 accumulator in
    registers, which a 256x256 tile would exceed."""

    ARCH = Arch.SM_90A
    MMA_ENGINE = "wgmma"
    SMEM_CAPACITY = 232448  # 227 KiB per CTA
    OPERAND_DTYPES = ("f16", "bf16", "f8e4m3", "f8e5m2")
    OUTPUT_DTYPES = ("f16", "bf16", "f32")
    TILE_M = (128, 256)
    TILE_N = (16, 32, 64, 128, 256)
    """16 and 32 are the decode tiles: with swap_ab, a few rows of A are the MMA's N."""
    EXCLUDED_TILES = ((256, 256),)
    TILE_RULE = (
        "tile_m must be 128 or 256 (two MMA warpgroups split M), tile_n 16, 32, 64, 128 or 256, "
        "and not 256x256 (too many accumulator registers)"
    )
    CONSUMER_WARPS = 8  # two MMA warpgroups
    PRODUCER_REGISTERS = 40  # per thread, after setmaxnreg: the TMA warpgroup needs few
    CONSUMER_REGISTERS = 232  # per thread: the accumulators of a 128x256 tile and the epilogue
    WGMMA_ROWS = 64
    """Rows of one WGMMA accumulator: a thread holds 2 of them, and 2 of every 8 columns."""
    SM_COUNT = 132  # H100 SXM / H200: one persistent CTA per SM
    TUNER_TILES = {
        2: ((128, 256, 64), (256, 128, 64), (128, 128, 64)),
        # fp8: a 64-deep k-tile halves the stage, so the ring holds twice the stages (8
        # instead of 4 at 128x256): more loads in flight to hide latency at large K.
        1: ((128, 256, 128), (256, 128, 128), (128, 128, 128), (128, 256, 64), (256, 128, 64)),
    }

    PINGPONG = True
    ROW_SLABS = True
    B_EVICT_FIRST = True
    EPILOGUE_PREFETCH = True
    EPILOGUE_READ_AHEAD = 1
    """Subtiles of operand values the epilogue reads ahead of the one it stores. On the
    H200 (fp8 4096^3 and 8192^3, bench/epilogue_subtile.py --read-ahead 1,2,3) reading 2
    or 3 ahead took 0.9% off the rowwise cooperative 128x256 kernel and nothing beyond the
    spread elsewhere (the fused pingpong kernel lost 2.2% at 3):
    bench/runs/2026-12-01-epilogue-read-ahead.md. The rowwise epilogue's cost is its
    multiplications, not its loads' latency (-l1-prefetch.md)."""
    PINGPONG_TILE_M = (64, 128)
    PINGPONG_TUNER_TILES = {
        2: ((128, 128, 64), (128, 64, 64)),
        1: ((128, 128, 128), (128, 64, 128)),
    }
    """64x256 (legal) is left out: fp8 on the H200 it was the slowest pingpong tile in
    every run, 1.07-1.10x torch._scaled_mm at 4096^3 against 1.12-1.15x for 128x128, and
    0.92-0.97x at 8192^3 (bench/schedules.py), though the tuner's back-to-back timing
    ranked it within 3% of the winner at 4096^3."""

    def epilogue_tile(self, spec) -> tuple[int, int]:
        """A subtile spans one WGMMA row block of each warpgroup of the tile (128 rows
        cooperative, 64 under pingpong): the epilogue takes a thread's accumulator
        registers a subtile at a time in register order, which runs across the tile's
        columns before it reaches the warpgroup's next row block."""
        rows, columns = super().epilogue_tile(spec)
        return min(rows, self.WGMMA_ROWS * self.tile_warpgroups(spec)), columns

    def held_operand_registers(self, spec, broadcast: str) -> int | None:
        tm, tn, _ = spec.tile_shape
        rows_per_thread = 2 * (tm // self.tile_warpgroups(spec) // self.WGMMA_ROWS)
        if spec.swap_ab:  # the tile is C^T's: a per-row vector of C runs along its columns
            broadcast = {"m": "n", "n": "m"}.get(broadcast, broadcast)
        return {"scalar": 1, "m": rows_per_thread, "n": tn // 4}.get(broadcast)


SM90 = Sm90Target()
