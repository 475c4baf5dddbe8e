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

Coordinates are clamped into M x N before the read: a target's store clips an edge
tile's elements outside M x N (the TMA store does), so their values do not matter, but
their reads must stay inside the operand.
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


class EpilogueOperands:
    """The epilogue operands of a kernel, read at the thread's accumulator registers.

    `operands`: (name, broadcast, dtype) of each operand, as the epilogue collective's
    configuration lists them; `tensors`: their kernel arguments, in that order; `extent`:
    (M, N) of the output, for the clamp; `coords`: the coordinate tensor, (row, column)
    within the output tile of each accumulator register, indexed 0, 1, ... in the order
    the epilogue walks the accumulators (its subtiles are consecutive runs of it).

    A load names a (operand, placement) pair of the generated epilogue body (`loads`):
    `tile` values are read once per output tile (`tile_values`) and handed out per
    subtile, `subtile` values are read in the subtile's own iteration (`subtile_values`).
    """

    def __init__(self, operands, tensors, extent, coords):
        self.broadcasts = {name: Broadcast(broadcast) for name, broadcast, _ in operands}
        self.tensors = {name: tensor for (name, _, _), tensor in zip(operands, tensors, strict=True)}
        self.m, self.n = extent
        self.coords = coords

    def value(self, name: str, row, column):
        """Operand `name` at output element (row, column), as f32."""
        tensor = self.tensors[name]
        broadcast = self.broadcasts[name]
        row = cutlass.min(row, self.m - 1)
        column = cutlass.min(column, self.n - 1)
        if broadcast == Broadcast.SCALAR:
            value = tensor[0]
        elif broadcast == Broadcast.M:
            value = tensor[row]
        elif broadcast == Broadcast.N:
            value = tensor[column]
        else:
            value = tensor[row, column]
        return value.to(cutlass.Float32)

    def load(self, name: str, first_row, first_column, start: int, shape):
        """A register tensor of `shape` holding operand `name` at accumulator registers
        start, start + 1, ... (the coordinate tensor's order) of the tile whose first
        element is (first_row, first_column)."""
        values = cute.make_rmem_tensor(shape, cutlass.Float32)
        for v in range(cute.size(values)):  # unrolled while tracing
            row, column = self.coords[start + v]
            values[v] = self.value(name, first_row + row, first_column + column)
        return values

    def tile_values(self, loads, first_row, first_column, registers: int) -> list:
        """Per (operand, placement) of `loads`: the operand's values at all `registers`
        accumulator registers of the tile when it is held for the tile, else None."""
        return [
            self.load(name, first_row, first_column, 0, (registers,)) if placement == Placement.TILE else None
            for name, placement in loads
        ]

    def subtile_values(self, loads, held, first_row, first_column, subtile: int, shape) -> list:
        """One register tensor of `shape` per (operand, placement) of `loads`, with its
        values at subtile `subtile`'s accumulator registers: copied from the tile's held
        values (`tile_values`), or loaded now."""
        per_subtile = cute.size(shape)
        operands = []
        for (name, placement), tile_values in zip(loads, held):
            if placement == Placement.TILE:
                values = cute.make_rmem_tensor(shape, cutlass.Float32)
                for v in range(per_subtile):  # unrolled while tracing
                    values[v] = tile_values[subtile * per_subtile + v]
            else:
                values = self.load(name, first_row, first_column, subtile * per_subtile, shape)
            operands.append(values)
        return operands
