"""What the TMA-store epilogues of every target share: their configuration
(`TmaStoreEpilogueBase`: the output dtype, the CTA tile, the epilogue subtile and the
staging depth, the epilogue operands, whether the epilogue gates column pairs; the TMA
store atom and tensor of C and the operands as kernel arguments) and the in-kernel view's
parts that do not depend on where the accumulators live (`TmaStoreEpilogueDeviceBase`:
the staging buffers, C's tiles, the product's M and N, the descriptor prefetch,
`pipe.mn_tile_full`). A target's epilogue (pipeir/lower/cute/<arch>/epilogue_*.py) adds
its staging layout and its store.

A gated epilogue (`epi.swiglu`) stores one value per pair of the product's columns: C is
(M, N / 2), its tiles and staged subtiles half as wide as the accumulators'. What reads
the product's extent (the scheduler's grid and tile count, `pipe.mn_tile_full`, the
operands' clamp) sees C through `paired_columns`: an (M, N) view in which the product's
columns 2j and 2j + 1 are both C's column j."""

from __future__ import annotations

from dataclasses import dataclass

import cutlass.cute as cute
from cutlass.cute.nvgpu import cpasync

from pipeir.lower.cute.collectives import Collective, DeviceView, cutlass_type
from pipeir.lower.cute.epilogue_operands import operand_param, operand_shape
from pipeir.lower.cute.tma_mainloop import SMEM_ALIGNMENT


def paired_columns(tensor: cute.Tensor) -> cute.Tensor:
    """`tensor` (rows, columns, ...) as (rows, (2, columns), ...): two columns per column
    (stride 0 between them), the product's view of a gated epilogue's output."""
    modes = [cute.size(tensor, mode=[i]) for i in range(cute.rank(tensor))]
    pairs = cute.make_layout((2, modes[1]), stride=(0, 1))
    tiler = (cute.make_layout(modes[0]), pairs, *(cute.make_layout(extent) for extent in modes[2:]))
    return cute.make_tensor(tensor.iterator, cute.composition(tensor.layout, tiler))


def unpaired_columns(tensor: cute.Tensor) -> cute.Tensor:
    """The tensor that `paired_columns` made `tensor` of."""
    (rows, (_, columns)), (row_stride, (_, column_stride)) = tensor.shape, tensor.stride
    return cute.make_tensor(tensor.iterator, cute.make_layout((rows, columns), stride=(row_stride, column_stride)))


@dataclass(frozen=True)
class TmaStoreEpilogueBase(Collective):
    c_dtype: str
    tile: tuple[int, int, int]
    epi_tile: tuple[int, int]
    stages: int
    operands: tuple[tuple[str, str, str], ...] = ()
    """(name, broadcast, dtype) of the epilogue operands (`epi.operand`), in the order the
    kernel takes them after C."""
    gated: bool = False
    """The region ends in `epi.swiglu`: C has one column per pair of the product's."""

    OPS = ("pipe.epilogue", "pipe.mn_tile_full")

    @property
    def KERNEL_PARAMS(self):  # noqa: N802 (the Collective interface's name)
        return (
            ("tma_atom_c", "cute.CopyAtom"),
            ("tma_tensor_c", "cute.Tensor"),
            *((operand_param(name), "cute.Tensor") for name, _, _ in self.operands),
        )

    @property
    def c_type(self):
        return cutlass_type(self.c_dtype)

    def operand_shape(self, name: str, m, n) -> tuple:
        """The shape of operand `name`'s kernel argument."""
        return operand_shape(next(broadcast for operand, broadcast, _ in self.operands if operand == name), m, n)

    def stored(self, tile: tuple[int, int]) -> tuple[int, int]:
        """The piece of C that a (rows, columns) piece of the product's accumulators is stored to."""
        rows, columns = tile
        return (rows, columns // 2) if self.gated else (rows, columns)

    @property
    def subtile_count(self) -> int:
        """Epilogue subtiles per output tile."""
        (tile_m, tile_n, _), (epi_m, epi_n) = self.tile, self.epi_tile
        return (tile_m // epi_m) * (tile_n // epi_n)

    @property
    def stored_epi_tile(self) -> tuple[int, int]:
        """A staged subtile of C: `epi_tile`'s accumulators, stored."""
        return self.stored(self.epi_tile)

    def smem_layout(self):
        """The staging buffers' layout: `stages` subtiles of `stored_epi_tile`, the target's."""
        raise NotImplementedError(f"{type(self).__name__} says how it stages C")

    # -- host ---------------------------------------------------------------------------
    def stored_of(self, mC: cute.Tensor) -> cute.Tensor:
        """What the epilogue stores, over the row-major C: C itself unless a target says otherwise."""
        return mC

    def d_of(self, mC: cute.Tensor) -> cute.Tensor:
        """The MMA's product D over the row-major C: what is stored (`stored_of`), with two
        columns per stored column for a gated epilogue."""
        stored = self.stored_of(mC)
        return paired_columns(stored) if self.gated else stored

    def kernel_params(self, mC: cute.Tensor, *operand_tensors: cute.Tensor):
        tma_atom_c, tma_tensor_c = cpasync.make_tiled_tma_atom(
            cpasync.CopyBulkTensorTileS2GOp(), self.stored_of(mC), cute.slice_(self.smem_layout(), (None, None, 0)),
            self.stored_epi_tile,
        )
        # The kernel's tma_tensor_c spans the product (the scheduler reads its extent).
        return (tma_atom_c, paired_columns(tma_tensor_c) if self.gated else tma_tensor_c, *operand_tensors)


class TmaStoreEpilogueDeviceBase(DeviceView):
    """The staging buffers sC, the stored tiles gC (bM, bN, RestM, RestN) of D (half as wide
    for a gated epilogue), the product's extent (m, n), the TMA store atom and the
    epilogue operands' tensors."""

    def __init__(self, config: TmaStoreEpilogueBase, smem, tma_atom_c, tma_tensor_c, operand_tensors):
        self.config = config
        self.tma_atom_c = tma_atom_c
        self.operand_tensors = operand_tensors
        layout = config.smem_layout()
        self.sC = smem.allocate_tensor(config.c_type, layout.outer, SMEM_ALIGNMENT, layout.inner)
        tile_m, tile_n, _ = config.tile
        stored = unpaired_columns(tma_tensor_c) if config.gated else tma_tensor_c
        self.gC = cute.local_tile(stored, config.stored((tile_m, tile_n)), (None, None))  # (bM, bN, RestM, RestN)
        self.m = cute.size(tma_tensor_c, mode=[0])
        self.n = cute.size(tma_tensor_c, mode=[1])

    def prefetch_descriptor(self):
        """Bring the TMA store descriptor of C into the cache (run by the producer warp,
        long before the first store)."""
        cpasync.prefetch_descriptor(self.tma_atom_c)

    def tile_is_full(self, m, n):
        """`pipe.mn_tile_full`: output tile (m, n) lies inside M x N."""
        tile_m, tile_n, _ = self.config.tile
        return ((m + 1) * tile_m <= self.m) & ((n + 1) * tile_n <= self.n)  # `and` would ask for a Python bool
