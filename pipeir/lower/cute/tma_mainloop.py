"""What the TMA mainloops of every target share: their configuration (`TmaMainloop`:
operand types and B's layout, the CTA tile, the cluster and the ring depth; the TMA atoms
and tensors of A and B and the tiled MMA as kernel arguments; the ring's, K's and the
rank's ops) and the in-kernel view's ops that do not depend on the MMA engine
(`TmaMainloopDevice`). A target's mainloop (pipeir/lower/cute/<arch>/mainloop_*.py)
adds its MMA, shared-memory layouts, ring and multicast."""

from __future__ import annotations

from dataclasses import dataclass

import cutlass
import cutlass.cute as cute
import cutlass.pipeline as pipeline
from cutlass.cute.nvgpu import cpasync

from pipeir.lower.cute.collectives import Collective, DeviceView, cutlass_type

SMEM_ALIGNMENT = 1024
"""Alignment of the shared-memory tensors TMA and the MMAs read and write (the 128-byte
swizzle's 1024-byte atoms)."""


@dataclass(frozen=True)
class TmaMainloop(Collective):
    """What every target's TMA mainloop is configured with and takes: the operand types
    and B's layout, the CTA tile, the cluster and the ring depth; the TMA atoms and tensors
    of A and B and the tiled MMA as kernel arguments; the ring's, K's and the rank's ops."""

    a_dtype: str
    b_dtype: str
    b_major: str
    """"k": B is (N, K) row-major; "mn": B is (K, N) row-major."""
    tile: tuple[int, int, int]
    cluster: tuple[int, int]
    stages: int

    KERNEL_PARAMS = (
        ("tma_atom_a", "cute.CopyAtom"),
        ("tma_tensor_a", "cute.Tensor"),
        ("tma_atom_b", "cute.CopyAtom"),
        ("tma_tensor_b", "cute.Tensor"),
        ("tiled_mma", "cute.TiledMma"),
    )
    OPS = (
        "pipe.init_state", "pipe.advance", "pipe.acquire", "pipe.copy", "pipe.commit",
        "pipe.producer_tail", "pipe.wait", "pipe.mma", "pipe.mma_wait", "pipe.release",
        "pipe.acc_init", "pipe.k_tile_count", "pipe.k_tile_fits", "pipe.k_tile_full",
        "pipe.cta_rank_in_cluster",
    )

    @classmethod
    def of(cls, spec, **target_fields) -> TmaMainloop:
        """This mainloop for configuration `spec` (pipeir.target.spec.GemmConfig), with the
        target's own fields."""
        return cls(a_dtype=spec.dtype, b_dtype=spec.dtype, b_major=spec.b_major, tile=spec.tile_shape,
                   cluster=spec.cluster_shape, stages=spec.stage_count, k_static=spec.k, **target_fields)

    @property
    def a_type(self):
        return cutlass_type(self.a_dtype)

    @property
    def b_type(self):
        return cutlass_type(self.b_dtype)

    def b_as_nk(self, mB: cute.Tensor) -> cute.Tensor:
        """B as an (N, K) tensor: itself when K-major, its transposed view when MN-major."""
        if self.b_major == "k":
            return mB
        return cute.make_tensor(mB.iterator, cute.select(mB.layout, mode=[1, 0]))



class TmaMainloopDevice(DeviceView):
    """The ops of a mainloop's in-kernel view every target lowers alike. A subclass sets
    `config`, `tma_atom_a`, `tma_atom_b`, `k` (K, an Int32) and `k_tiles`."""

    # -- ring positions -----------------------------------------------------------------
    def init_state(self, index: int, phase: int) -> pipeline.PipelineState:
        return pipeline.PipelineState(self.config.stages, cutlass.Int32(0), cutlass.Int32(index), cutlass.Int32(phase))

    # -- problem -------------------------------------------------------------------------
    def k_tile_count(self):
        return self.k_tiles

    def k_tile_fits(self, k_tile):
        return k_tile * self.config.tile[2] < self.k

    def k_tile_full(self, k_tile):
        return (k_tile + 1) * self.config.tile[2] <= self.k

    def cluster_rank(self):
        return cute.arch.make_warp_uniform(cute.arch.block_idx_in_cluster())

    # -- producer ------------------------------------------------------------------------
    def prefetch_descriptors(self):
        """Bring the TMA descriptors of A and B into the cache before the first load."""
        cpasync.prefetch_descriptor(self.tma_atom_a)
        cpasync.prefetch_descriptor(self.tma_atom_b)
