"""Integer bounds of index values, proven from constants, loop bounds and the
kernel's static problem shape. Used to fold predicates soundly."""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.dialects import arith, scf
from xdsl.dialects.builtin import IntegerAttr
from xdsl.ir import BlockArgument, SSAValue

from pipeir.dialects import pipe
from pipeir.target import schedule


@dataclass(frozen=True)
class Bounds:
    """lo <= value <= hi; None where no bound is known."""

    lo: int | None
    hi: int | None

    def __add__(self, other: Bounds) -> Bounds:
        return Bounds(_combine(self.lo, other.lo, int.__add__), _combine(self.hi, other.hi, int.__add__))

    def __sub__(self, other: Bounds) -> Bounds:
        return Bounds(_combine(self.lo, other.hi, int.__sub__), _combine(self.hi, other.lo, int.__sub__))

    def __mul__(self, other: Bounds) -> Bounds:
        if self.lo is None or other.lo is None or self.lo < 0 or other.lo < 0:
            return UNKNOWN
        return Bounds(self.lo * other.lo, _combine(self.hi, other.hi, int.__mul__))


UNKNOWN = Bounds(None, None)
NATURAL = Bounds(0, None)


def _combine(a: int | None, b: int | None, op) -> int | None:
    return None if a is None or b is None else op(a, b)


def _kernel_dims(op) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    kernel = pipe.enclosing_kernel(op)
    return kernel.problem_shape, kernel.tile_shape


def _static(size: int) -> bool:
    return size != pipe.DYNAMIC


def k_tile_count_bounds(kernel: pipe.KernelOp) -> Bounds:
    """What the kernel's static shape says about a work unit's k-tiles: ceil(K / tile_k)
    (K: the unit's slice under split-K)."""
    k, tile_k = kernel.slice_k, kernel.tile_shape[2]
    return Bounds(pipe.ceil_div(k, tile_k), pipe.ceil_div(k, tile_k)) if _static(k) else Bounds(1, None)


def bounds(value: SSAValue) -> Bounds:
    if isinstance(value, BlockArgument):
        loop = value.block.parent_op()
        if isinstance(loop, scf.ForOp) and value.index == 0:
            step = bounds(loop.step)
            if step.lo is None or step.lo < 1:
                return UNKNOWN
            upper = bounds(loop.ub).hi
            # The body runs only for lb <= iv < ub.
            return Bounds(bounds(loop.lb).lo, None if upper is None else upper - 1)
        return UNKNOWN
    op = value.owner
    match op:
        case arith.ConstantOp(value=IntegerAttr() as attr):
            return Bounds(attr.value.data, attr.value.data)
        case arith.AddiOp():
            return bounds(op.lhs) + bounds(op.rhs)
        case arith.SubiOp():
            return bounds(op.lhs) - bounds(op.rhs)
        case arith.MuliOp():
            return bounds(op.lhs) * bounds(op.rhs)
        case pipe.KTileCountOp():
            return k_tile_count_bounds(pipe.enclosing_kernel(op))
        case pipe.WorkTileCountOp():
            (m, n, _), (tm, tn, _) = _kernel_dims(op)
            if _static(m) and _static(n):
                kernel = pipe.enclosing_kernel(op)
                count = schedule.work_unit_count(
                    pipe.ceil_div(m, tm), pipe.ceil_div(n, tn), *kernel.cluster_shape, kernel.split_k_count
                )
                return Bounds(count, count)
            return Bounds(1, None)
        case pipe.FirstWorkTileOp() | pipe.ClusterRankOp():
            return NATURAL
        case pipe.KSplitOp():
            return Bounds(0, pipe.enclosing_kernel(op).split_k_count - 1)
        case pipe.WorkTileStrideOp():
            return Bounds(1, None)
        case pipe.TileCoordsOp():
            # A cluster tile that overhangs the problem puts some CTAs' tiles past
            # its last row or column, up to the end of that cluster tile.
            kernel = pipe.enclosing_kernel(op)
            index = 0 if value is op.m else 1
            size = kernel.problem_shape[index]
            if not _static(size):
                return NATURAL
            tiles = pipe.ceil_div(size, kernel.tile_shape[index])
            cluster = kernel.cluster_shape[index]
            return Bounds(0, pipe.ceil_div(tiles, cluster) * cluster - 1)
    return UNKNOWN
