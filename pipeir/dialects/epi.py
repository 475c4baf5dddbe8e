"""The `epi` dialect: what a GEMM's epilogue computes from the accumulators.

A `pipe.epilogue` may hold a region of `epi` ops (without one it stores the
accumulators converted to the kernel's c_dtype). The region computes, in f32, the
value stored at every element of the output tile from the accumulator fragment
(`epi.acc`) and the kernel's epilogue operands (`epi.load`), and ends with
`epi.yield`, which converts that value to c_dtype and stores it. Every SSA value
of the region has type `!epi.frag`: one f32 per accumulator element the thread
holds, an operand broadcast onto them.

The operands the kernel takes besides A, B and C are declared once in the kernel
(`epi.operand @name broadcast(m) : f32`), in the order the kernel takes them: a
scalar, a per-row (M) or per-column (N) vector, or an (M, N) matrix. A load names
its operand and restates its broadcast, and the verifier checks both against the
declaration. Where a load sits relative to the accumulator wait and the subtile
loop is its `placement`:

  * `subtile`: each subtile's values are loaded inside the subtile loop, after the
    accumulator wait (few registers; the builder's choice);
  * `tile`: the thread's values for the whole tile are loaded once, into registers,
    before the subtile loop (one load per value instead of one per subtile, at the
    price of those registers for the whole epilogue).

`--place-epilogue-loads` (pipeir.passes.place_epilogue_loads) chooses between them
from the target's register budget. What each op computes is defined once, in
pipeir.analysis.interp (`EpilogueFunctions`). See docs/epilogue.md.
"""

from __future__ import annotations

import math
from enum import auto

from xdsl.dialects.builtin import (
    BFloat16Type,
    Float16Type,
    Float32Type,
    FlatSymbolRefAttrConstr,
    FloatAttr,
    StringAttr,
    SymbolNameConstraint,
    SymbolRefAttr,
    f64,
)
from xdsl.dialects.utils.enum_attribute import EnumAttribute
from xdsl.ir import Attribute, Dialect, ParametrizedAttribute, SpacedOpaqueSyntaxAttribute, SSAValue, TypeAttribute
from xdsl.irdl import (
    IRDLOperation,
    ParsePropInAttrDict,
    irdl_attr_definition,
    irdl_op_definition,
    operand_def,
    prop_def,
    result_def,
    traits_def,
    var_operand_def,
)
from xdsl.traits import HasParent, IsTerminator, Pure
from xdsl.utils.exceptions import VerifyException
from xdsl.utils.str_enum import StrEnum

from pipeir.dialects import pipe
from pipeir.target.base import Activation

OPERAND_TYPES: dict[str, Attribute] = {"f32": Float32Type(), "bf16": BFloat16Type(), "f16": Float16Type()}
"""Element types an epilogue operand may have (it is read and converted to f32)."""
RESERVED_NAMES = ("a", "b", "c")
"""The GEMM's own tensors: no epilogue operand may take their names."""


class Broadcast(StrEnum):
    """The shape of an epilogue operand and how it maps onto the output tile:
    a scalar `()`, a per-row vector `(M,)`, a per-column vector `(N,)`, a matrix `(M, N)`."""

    SCALAR = auto()
    M = auto()
    N = auto()
    MN = auto()

    def shape(self, m: int | str, n: int | str) -> tuple:
        return {Broadcast.SCALAR: (), Broadcast.M: (m,), Broadcast.N: (n,), Broadcast.MN: (m, n)}[self]

    @property
    def shape_text(self) -> str:
        return {Broadcast.SCALAR: "()", Broadcast.M: "(M,)", Broadcast.N: "(N,)", Broadcast.MN: "(M, N)"}[self]


class Placement(StrEnum):
    """Where an `epi.load` runs: once per tile into registers, or per subtile."""

    TILE = auto()
    SUBTILE = auto()


@irdl_attr_definition
class BroadcastAttr(EnumAttribute[Broadcast], SpacedOpaqueSyntaxAttribute):
    name = "epi.broadcast"


@irdl_attr_definition
class PlacementAttr(EnumAttribute[Placement], SpacedOpaqueSyntaxAttribute):
    name = "epi.placement"


@irdl_attr_definition
class ActivationAttr(EnumAttribute[Activation], SpacedOpaqueSyntaxAttribute):
    name = "epi.activation"


@irdl_attr_definition
class FragType(ParametrizedAttribute, TypeAttribute):
    """The f32 values of the accumulator elements a thread holds (`!epi.frag`)."""

    name = "epi.frag"


def _epilogue_of(op: IRDLOperation) -> pipe.EpilogueOp:
    parent = op.parent_op()
    if not isinstance(parent, pipe.EpilogueOp):
        raise VerifyException(f"'{op.name}' must be inside the region of a 'pipe.epilogue'")
    return parent


def gate_of(kernel: pipe.KernelOp) -> SwigluOp | None:
    """The kernel's `epi.swiglu`, if its epilogue gates column pairs: its C then has half
    the product's columns."""
    return next((op for op in kernel.walk() if isinstance(op, SwigluOp)), None)


def declared_operands(kernel: pipe.KernelOp) -> list[OperandOp]:
    """The kernel's epilogue operands, in the order the kernel takes them."""
    return [op for op in kernel.body.block.ops if isinstance(op, OperandOp)]


@irdl_op_definition
class OperandOp(IRDLOperation):
    """Declares an epilogue operand the kernel takes: `epi.operand @bias broadcast(n) : bf16`."""

    name = "epi.operand"

    sym_name = prop_def(SymbolNameConstraint())
    broadcast = prop_def(BroadcastAttr)
    element_type = prop_def(TypeAttribute)

    traits = traits_def(HasParent(pipe.KernelOp))

    assembly_format = "$sym_name `broadcast` `(` $broadcast `)` `:` $element_type attr-dict"
    irdl_options = (ParsePropInAttrDict(),)

    def __init__(self, name: str, broadcast: str, element_type: str):
        super().__init__(properties={
            "sym_name": StringAttr(name),
            "broadcast": BroadcastAttr(Broadcast(broadcast)),
            "element_type": OPERAND_TYPES[element_type],
        })

    @property
    def operand_name(self) -> str:
        return self.sym_name.data

    @property
    def broadcast_kind(self) -> Broadcast:
        return self.broadcast.data

    @property
    def dtype_name(self) -> str | None:
        return next((name for name, t in OPERAND_TYPES.items() if t == self.element_type), None)

    def verify_(self) -> None:
        name = self.operand_name
        if self.dtype_name is None:
            raise VerifyException(
                f"'epi.operand' @{name}: element type must be one of "
                f"{', '.join(map(str, OPERAND_TYPES.values()))}, got {self.element_type}")
        if name in RESERVED_NAMES:
            raise VerifyException(f"'epi.operand' @{name}: a, b and c name the GEMM's own tensors")
        kernel = self.parent_op()
        if isinstance(kernel, pipe.KernelOp):
            same = [op for op in declared_operands(kernel) if op.operand_name == name]
            if same[0] is not self:
                raise VerifyException(f"'epi.operand' @{name}: the kernel declares @{name} twice")


@irdl_op_definition
class AccOp(IRDLOperation):
    """The accumulator fragment of the tile being stored."""

    name = "epi.acc"

    result = result_def(FragType)

    traits = traits_def(Pure(), HasParent(pipe.EpilogueOp))
    assembly_format = "attr-dict"

    def __init__(self):
        super().__init__(result_types=[FragType()])


@irdl_op_definition
class LoadOp(IRDLOperation):
    """The values of epilogue operand `operand` at the thread's accumulator elements:
    `epi.load @scale_b broadcast(n) placement(subtile)`."""

    name = "epi.load"

    operand = prop_def(FlatSymbolRefAttrConstr)
    broadcast = prop_def(BroadcastAttr)
    placement = prop_def(PlacementAttr)
    result = result_def(FragType)

    traits = traits_def(HasParent(pipe.EpilogueOp))
    assembly_format = "$operand `broadcast` `(` $broadcast `)` `placement` `(` $placement `)` attr-dict"

    def __init__(self, operand: str, broadcast: str, placement: str = Placement.SUBTILE):
        super().__init__(
            properties={
                "operand": SymbolRefAttr(operand),
                "broadcast": BroadcastAttr(Broadcast(broadcast)),
                "placement": PlacementAttr(Placement(placement)),
            },
            result_types=[FragType()],
        )

    @property
    def operand_name(self) -> str:
        return self.operand.root_reference.data

    @property
    def broadcast_kind(self) -> Broadcast:
        return self.broadcast.data

    @property
    def placement_kind(self) -> Placement:
        return self.placement.data

    def verify_(self) -> None:
        name = self.operand_name
        if self.broadcast_kind == Broadcast.MN and self.placement_kind == Placement.TILE:
            raise VerifyException(
                f"'epi.load' @{name}: an (M, N) operand is loaded per subtile (placement(tile) would hold "
                "a second accumulator's worth of registers)")
        _epilogue_of(self)
        kernel = pipe.enclosing_kernel(self)
        declared = {op.operand_name: op for op in declared_operands(kernel)}
        if name not in declared:
            takes = ", ".join(f"@{n}" for n in declared) or "none"
            raise VerifyException(
                f"'epi.load' @{name}: the kernel takes no epilogue operand @{name} (it takes {takes})")
        expected = declared[name].broadcast_kind
        if expected != self.broadcast_kind:
            raise VerifyException(
                f"'epi.load' @{name}: loads a {self.broadcast_kind.shape_text} operand, but the kernel's "
                f"@{name} has shape {expected.shape_text} (broadcast({expected}))")


@irdl_op_definition
class ConstantOp(IRDLOperation):
    """A compile-time f32 constant at every element: `epi.constant 5.000000e-01`."""

    name = "epi.constant"

    value = prop_def(FloatAttr)
    result = result_def(FragType)

    traits = traits_def(Pure(), HasParent(pipe.EpilogueOp))
    assembly_format = "$value attr-dict"

    def __init__(self, value: float):
        super().__init__(properties={"value": FloatAttr(value, f64)}, result_types=[FragType()])

    @property
    def number(self) -> float:
        return self.value.value.data

    def verify_(self) -> None:
        if not math.isfinite(self.number):
            raise VerifyException(f"'epi.constant': the value must be finite, got {self.number}")


class BinaryOp(IRDLOperation):
    lhs = operand_def(FragType)
    rhs = operand_def(FragType)
    result = result_def(FragType)

    traits = traits_def(Pure(), HasParent(pipe.EpilogueOp))
    assembly_format = "$lhs `,` $rhs attr-dict"

    def __init__(self, lhs: SSAValue, rhs: SSAValue):
        super().__init__(operands=[lhs, rhs], result_types=[FragType()])


@irdl_op_definition
class MulOp(BinaryOp):
    """Element-wise product (a scale: `epi.mul %acc, %scale_a`)."""

    name = "epi.mul"


@irdl_op_definition
class AddOp(BinaryOp):
    """Element-wise sum (a bias, or `beta * C`)."""

    name = "epi.add"


@irdl_op_definition
class ActivationOp(IRDLOperation):
    """An element-wise activation: `epi.activation silu %x`."""

    name = "epi.activation"

    kind = prop_def(ActivationAttr)
    input = operand_def(FragType)
    result = result_def(FragType)

    traits = traits_def(Pure(), HasParent(pipe.EpilogueOp))
    assembly_format = "$kind $input attr-dict"

    def __init__(self, kind: str, input: SSAValue):
        super().__init__(
            operands=[input], properties={"kind": ActivationAttr(Activation(kind))}, result_types=[FragType()])


@irdl_op_definition
class SwigluOp(IRDLOperation):
    """Gated SwiGLU on paired columns: output column j is silu(x[:, 2j]) * x[:, 2j + 1]
    (in the accumulator layout each thread holds both columns of a pair). The output
    has half the columns of the product: the kernel's C is (M, N / 2)."""

    name = "epi.swiglu"

    input = operand_def(FragType)
    result = result_def(FragType)

    traits = traits_def(Pure(), HasParent(pipe.EpilogueOp))
    assembly_format = "$input attr-dict"

    def __init__(self, input: SSAValue):
        super().__init__(operands=[input], result_types=[FragType()])

    def verify_(self) -> None:
        epilogue = _epilogue_of(self)
        kernel = pipe.enclosing_kernel(epilogue)
        n = kernel.product_shape[1] if pipe._verifies(kernel) else pipe.DYNAMIC  # else the kernel's own error
        if n != pipe.DYNAMIC and n % 2:
            raise VerifyException(f"'epi.swiglu': pairs columns, so N must be even, got {n}")
        for use in self.result.uses:
            if not isinstance(use.operation, YieldOp):
                raise VerifyException(
                    f"'epi.swiglu': its result has half the columns, so only 'epi.yield' may use it, "
                    f"not '{use.operation.name}'")


@irdl_op_definition
class YieldOp(IRDLOperation):
    """Ends the epilogue: converts `value` to the kernel's c_dtype and stores it."""

    name = "epi.yield"

    value = var_operand_def(FragType)

    traits = traits_def(IsTerminator(), HasParent(pipe.EpilogueOp))
    assembly_format = "$value attr-dict"

    def __init__(self, value: SSAValue):
        super().__init__(operands=[[value]])

    def verify_(self) -> None:
        if len(self.value) != 1:
            raise VerifyException(f"'epi.yield': stores exactly one value, got {len(self.value)}")


Epi = Dialect(
    "epi",
    [OperandOp, AccOp, LoadOp, ConstantOp, MulOp, AddOp, ActivationOp, SwigluOp, YieldOp],
    [BroadcastAttr, PlacementAttr, ActivationAttr, FragType],
)
