"""Parsing, located diagnostics and verification shared by every pipeir tool."""

from __future__ import annotations

import re
import sys

from xdsl.context import Context
from xdsl.dialects import arith, builtin, func, scf
from xdsl.dialects.builtin import FileLineColLoc, IntAttr, ModuleOp, StringAttr
from xdsl.ir import Operation, TypeAttribute
from xdsl.parser import Parser
from xdsl.parser.core import ForwardDeclaredValue
from xdsl.utils.exceptions import ParseError, VerifyException
from xdsl.utils.mlir_lexer import MLIRLexer

from pipeir.dialects.epi import Epi
from pipeir.dialects.pipe import Pipe

DIALECTS = (builtin.Builtin, func.Func, arith.Arith, scf.Scf, Pipe, Epi)

# xDSL 0.74 lexes string literals with '"(?:[^"...]+|<escape>)*"': the `+`
# nested in the `*` makes the match of an unterminated string backtrack
# exponentially in the length of the rest of its line (pipeir-opt hung on a
# stray quote). One character per repetition accepts the same strings in
# linear time.
MLIRLexer._unescaped_characters_regex = re.compile(
    r'"(?:[^"\\\n\v\f]|\\(?:["nt\\]|[0-9A-Fa-f]{2}))*"'
)

MAX_INTEGER_WIDTH = (1 << 24) - 1
"""MLIR's IntegerType::kMaxWidth."""


def make_context() -> Context:
    ctx = Context()
    for dialect in DIALECTS:
        ctx.load_dialect(dialect)
    return ctx


class PipeirError(Exception):
    """A user-facing diagnostic: `file:line:col: error: message`."""

    def __init__(self, location: str, message: str):
        super().__init__(message)
        self.location = location
        self.message = one_line(message)

    def __str__(self) -> str:
        return f"{self.location}: error: {self.message}"


def location_of(op: Operation) -> str:
    current: Operation | None = op
    while current is not None:
        loc = current.location
        if isinstance(loc, FileLineColLoc):
            return f"{loc.filename.data}:{loc.line.data}:{loc.column.data}"
        current = current.parent_op()
    return "<unknown>"


class LocatingParser(Parser):
    """Records each parsed operation's source position as its location, so that
    verifier and pass diagnostics can point at the input text."""

    def parse_operation(self) -> Operation:
        start = self._current_token.span
        position = start.get_location()
        try:
            op = super().parse_operation()
        except VerifyException as error:
            # A property or type rejected while the op is being built.
            self.raise_error(one_line(str(error)), start.start, self._current_token.span.start)
        if not isinstance(op.location, FileLineColLoc):
            op.location = FileLineColLoc(
                StringAttr(position.file), IntAttr(position.line), IntAttr(position.col)
            )
        return op

    def _parse_optional_integer_or_float_type(self) -> TypeAttribute | None:
        # MLIR caps integer types at 2**24 - 1 bits; xDSL 0.74 does not, and
        # computing the value range of an `i99999999999999999999` raised
        # OverflowError (a wider one would take the memory instead).
        token = self._current_token
        match = self._builtin_integer_type_regex.match(token.text)
        if match is not None and int(match.group(1)) > MAX_INTEGER_WIDTH:
            self.raise_error(f"integer bitwidth is limited to {MAX_INTEGER_WIDTH} bits", token.span)
        return super()._parse_optional_integer_or_float_type()


def one_line(message: str) -> str:
    return " ".join(message.split())


def parse_module(ctx: Context, text: str, name: str = "<stdin>", line_offset: int = 0) -> ModuleOp:
    """Parse `text`; `line_offset` shifts reported lines (a chunk of a larger file)."""
    try:
        module = LocatingParser(ctx, "\n" * line_offset + text, name).parse_module()
    except ParseError as error:
        raise PipeirError(str(error.span.get_location()), error.msg) from None
    if not isinstance(module.location, FileLineColLoc):
        # A module the parser wrapped around top-level ops: errors about the module
        # as a whole (no kernel to lower, ...) point at the start of its text.
        module.location = FileLineColLoc(StringAttr(name), IntAttr(line_offset + 1), IntAttr(1))
    reject_unresolved_operands(module)
    return module


def reject_unresolved_operands(module: ModuleOp) -> None:
    """xDSL 0.74 builds an op with custom syntax (scf.for) from the operands it parsed
    before the op's regions; a value used there and defined only inside those regions
    resolves the forward reference too late, and the op keeps a placeholder that every
    later step trips on. MLIR calls this a use the definition does not dominate."""
    for op in module.walk():
        for index, operand in enumerate(op.operands):
            if isinstance(operand, ForwardDeclaredValue):
                raise PipeirError(
                    location_of(op), f"'{op.name}': operand #{index} is used before its definition")


def verify_located(module: ModuleOp) -> None:
    """Verify `module`, reporting the first failing operation's location.

    Operations are checked one at a time (xDSL's recursive verify would report
    the outermost operation and dump the whole module)."""
    for op in module.walk():
        try:
            op.verify(verify_nested_ops=False)
            if isinstance(op, scf.IfOp):
                verify_if_yields(op)
        except VerifyException as error:
            message = one_line(str(error)).removeprefix("Operation does not verify: ")
            if not message.startswith("'"):
                message = f"'{op.name}': {message}"
            raise PipeirError(location_of(op), message) from None


def verify_if_yields(op: scf.IfOp) -> None:
    """What MLIR's scf.if verifier checks and xDSL 0.74's does not: each region
    yields values of the op's result types, and an op with results has an else
    region. Passes (fold-static-full, roll-producer) rely on it."""
    results = [result.type for result in op.results]
    if results and not op.false_region.blocks:
        raise VerifyException("'scf.if': an 'scf.if' with results needs an else region")
    for which, region in (("then", op.true_region), ("else", op.false_region)):
        for block in region.blocks:
            terminator = block.last_op
            if not isinstance(terminator, scf.YieldOp):
                continue  # a missing terminator is the trait's to report
            yielded = [value.type for value in terminator.operands]
            if yielded != results:
                raise VerifyException(
                    f"'scf.if': its {which} region yields ({', '.join(map(str, yielded))}) "
                    f"but the op returns ({', '.join(map(str, results))})"
                )


def remark(op: Operation, message: str) -> None:
    """A note to the user about `op` that is not an error (e.g. a refused rewrite)."""
    print(f"{location_of(op)}: remark: {message}", file=sys.stderr)
