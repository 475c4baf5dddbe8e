"""Helpers of the tests that edit a built kernel's IR (to break it on purpose)."""

from xdsl.dialects import arith
from xdsl.dialects.builtin import IndexType, ModuleOp
from xdsl.ir import Operation
from xdsl.rewriter import InsertPoint, Rewriter

from pipeir.analysis.interp import kernel_of


def ops_in(module: ModuleOp, role: str, kind: type[Operation]) -> list[Operation]:
    """The ops of type `kind` in the kernel's `role` role, in program order."""
    (role_op,) = [r for r in kernel_of(module).roles if r.kind.data == role]
    return [op for op in role_op.walk() if isinstance(op, kind)]


def index(value: int, before: Operation) -> arith.ConstantOp:
    """An index constant inserted before `before`."""
    constant = arith.ConstantOp.from_int_and_width(value, IndexType())
    Rewriter.insert_op(constant, InsertPoint.before(before))
    return constant
