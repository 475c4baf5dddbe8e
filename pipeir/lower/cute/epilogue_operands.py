"""Epilogue operands in the kernel, for any target: the values a fused epilogue
(`epi.operand`, `epi.load`; docs/epilogue.md) reads beside the accumulators.

An operand is a kernel parameter (`operand_param`) after C, with a broadcast: a scalar
(passed as a 1-element vector, `operand_shape`), an (M,) vector (one value per row), an
(N,) vector (one per column) or an (M, N) matrix. Where the accumulators live (WGMMA
registers on sm_90a, registers loaded from TMEM on sm_100a) is the target's business;
what this module needs is a *coordinate tensor*: for each register of the thread's
accumulator fragment (in the order the target's epilogue walks it), its (row, column)
in the output tile. `EpilogueOperands` reads each operand at those coordinates and
returns register tensors of f32 (one value per accumulator register), which the
generated epilogue body combines with the accumulators element by element.

A masked (edge) tile's coordinates are clamped into M x N before the read: a target's
store clips an edge tile's elements outside M x N (the TMA store does), so their values
do not matter, but their reads must stay inside the operand. An unmasked tile lies
inside M x N and reads unclamped.
"""

from __future__ import annotations

import cutlass
import cutlass.cute as cute

from pipeir.dialects.epi import Broadcast, Placement


def operand_param(name: str) -> str:
    """The kernel parameter of epilogue operand `name`."""
    return f"epi_{name}"


def operand_shape(broadcast: str, m, n) -> tuple:
    """The shape of an operand's kernel argument: a scalar is a 1-element vector."""
    return Broadcast(broadcast).shape(m, n) or (1,)


def broadcast_view(tensor: cute.Tensor, broadcast: str, m, n) -> cute.Tensor:
    """Operand `tensor` as an (M, N) tensor: stride 0 along the modes it is broadcast over
    (both for a scalar), so that every output element (row, column) reads its value."""
    strides = {
        Broadcast.SCALAR: (0, 0),
        Broadcast.M: (tensor.stride[0], 0),
        Broadcast.N: (0, tensor.stride[0]),
        Broadcast.MN: tensor.stride,
    }
    return cute.make_tensor(tensor.iterator, cute.make_layout((m, n), stride=strides[Broadcast(broadcast)]))


def product_view(view: cute.Tensor, transposed: bool) -> cute.Tensor:
    """An operand's (M, N) view as the accumulators' product sees it: itself, or its
    transpose under swap_ab (D = C^T)."""
    if not transposed:
        return view
    return cute.make_tensor(view.iterator, cute.select(view.layout, mode=[1, 0]))


def product_modes(broadcast: str, transposed: bool) -> tuple[int, ...]:
    """The modes of the accumulators' product (0: rows, 1: columns) along which an operand
    of `broadcast` varies: C's M is the product's columns under swap_ab (D = C^T)."""
    modes = {Broadcast.SCALAR: (), Broadcast.M: (0,), Broadcast.N: (1,), Broadcast.MN: (0, 1)}[Broadcast(broadcast)]
    return tuple(1 - mode for mode in modes) if transposed else modes


class EpilogueOperands:
    """The epilogue operands of a kernel, read at the thread's accumulator registers.

    `operands`: (name, broadcast, dtype) of each operand, as the epilogue collective's
    configuration lists them; `tensors`: their kernel arguments, in that order; `extent`:
    (rows, columns) of the accumulators' product, for the clamp; `tile`: the product's
    (rows, columns) per tile; `coords`: the coordinate
    tensor, (row, column) within the product's tile of each accumulator register, indexed
    0, 1, ... in the order the epilogue walks the accumulators (its subtiles are
    consecutive runs of it); `transposed`: the product is D = C^T (swap_ab), so D's
    (row, column) is C's (column, row): an (M,) vector of C runs along D's columns, an
    (N,) vector along its rows, an (M, N) matrix is read transposed.

    Each operand is viewed as an (M, N) tensor with stride 0 along its broadcast modes
    (`broadcast_view`) and composed with the coordinate tensor's layout: the result maps
    the thread's registers to the operand's addresses, with stride 0 wherever registers
    share a value. A read loads only the distinct values (`cute.filter_zeros`: one per
    row the thread holds for an (M,) vector, one per column for an (N,) vector, one for
    a scalar, every element of an (M, N) matrix), converts them to f32 once, and hands
    out a register tensor whose layout broadcasts them to the registers again (the
    zero strides kept by `cute.make_layout_like`): no register or instruction per
    duplicate. An unmasked tile (inside M x N) reads at the layout's constant offsets
    from the thread's first address; a masked one clamps each distinct coordinate into
    M x N first, unless the operand varies only along modes that no tile runs past (static
    and a multiple of the tile), where it reads as an unmasked one.

    A load names a (operand, placement) pair of the generated epilogue body (`loads`):
    `tile` values are read once per output tile (`tile_values`) and handed out per
    subtile, `subtile` values are read in the subtile's own iteration (`subtile_values`).
    """

    def __init__(self, operands, tensors, extent, tile, coords, transposed: bool = False):
        self.rows, self.columns = extent
        c_extent = (self.columns, self.rows) if transposed else (self.rows, self.columns)
        self.views = {
            name: product_view(broadcast_view(tensor, broadcast, *c_extent), transposed)
            for (name, broadcast, _), tensor in zip(operands, tensors, strict=True)
        }
        # A mode of the product whose extent is static and a multiple of the tile's never
        # runs past its end, even in a masked (edge) tile: an operand that varies along
        # such modes only reads unclamped (e.g. an (N,) vector of a dynamic-M kernel,
        # whose edge tiles are edges along M alone). Clamping costs a 64-bit address per
        # distinct value instead of constant offsets from one (spills at fp8 128x128).
        partial = [not (isinstance(size, int) and size % step == 0)
                   for size, step in zip(extent, tile, strict=True)]
        self.clamped = {
            name: any(partial[mode] for mode in product_modes(broadcast, transposed))
            for name, broadcast, _ in operands
        }
        self.coords = coords

    def registers(self, start: int, count: int) -> cute.Tensor:
        """The coordinates of accumulator registers start, ..., start + count - 1
        (`start` a multiple of `count`)."""
        return cute.logical_divide(self.coords, cute.make_layout(count))[(None, start // count)]

    def read(self, name: str, first_row, first_column, start: int, count: int, masked: bool) -> cute.Tensor:
        """A register tensor of `count` f32 values: operand `name` at accumulator registers
        start, ..., start + count - 1 (`start` a multiple of `count`) of the tile whose
        first element is (first_row, first_column)."""
        view = self.views[name]
        coords = self.registers(start, count)
        row, column = coords.iterator
        first = (first_row + row, first_column + column)
        operand = cute.composition(cute.domain_offset(first, view), coords.layout)  # register -> address
        distinct = cute.filter_zeros(operand)
        loaded = cute.make_rmem_tensor(cute.make_layout_like(operand), view.element_type)
        if masked and self.clamped[name]:
            # the distinct registers' coordinates: the coordinate layout over the distinct shape
            distinct_coords = cute.make_tensor(
                coords.iterator, cute.make_layout(distinct.shape, stride=coords.stride))
            distinct_loaded = cute.filter_zeros(loaded)
            for v in range(cute.size(distinct)):  # unrolled while tracing
                row, column = distinct_coords[v]
                distinct_loaded[v] = view[cutlass.min(first_row + row, self.rows - 1),
                                          cutlass.min(first_column + column, self.columns - 1)]
        else:
            cute.autovec_copy(distinct, cute.filter_zeros(loaded))
        values = cute.make_rmem_tensor(cute.make_layout_like(operand), cutlass.Float32)
        cute.filter_zeros(values).store(cute.filter_zeros(loaded).load().to(cutlass.Float32))
        return values

    def tile_values(self, loads, first_row, first_column, registers: int, masked: bool) -> list:
        """Per (operand, placement) of `loads`: the operand's values at all `registers`
        accumulator registers of the tile when it is held for the tile, else None."""
        return [
            self.read(name, first_row, first_column, 0, registers, masked) if placement == Placement.TILE else None
            for name, placement in loads
        ]

    def subtile_values(self, loads, held, first_row, first_column, subtile: int, shape, masked: bool) -> list:
        """One register tensor of `shape` per (operand, placement) of `loads`, with its
        values at subtile `subtile`'s accumulator registers (the `cute.size(shape)`
        registers from `subtile * cute.size(shape)` on): a view of the tile's held values
        (`tile_values`), or read now."""
        count = cute.size(shape)
        operands = []
        for (name, placement), tile_values in zip(loads, held):
            if placement == Placement.TILE:
                values = cute.logical_divide(tile_values, cute.make_layout(count))[(None, subtile)]
            else:
                values = self.read(name, first_row, first_column, subtile * count, count, masked)
            operands.append(cute.make_tensor(values.iterator, cute.composition(values.layout, cute.make_layout(shape))))
        return operands
