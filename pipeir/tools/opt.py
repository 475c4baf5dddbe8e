"""`pipeir-opt`: parse `pipe` IR, run passes in the order given, print the result.

    pipeir-opt [--<pass> ...] [-p a,b{opt=v}] [--verify-each] [-o out] [file|-]

Every registered pass has a flag of its own name; flags and `-p` lists may be
mixed and run in command-line order. Errors print `file:line:col: error: ...`
and exit with status 1 (2 for bad command lines); never a traceback.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from typing import IO, NoReturn

from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass, PassPipeline
from xdsl.printer import Printer
from xdsl.utils.exceptions import ArgSpecParseError, ParseError
from xdsl.xdsl_opt_main import xDSLOptMain

from pipeir.ir import DIALECTS, PipeirError, parse_module, verify_located
from pipeir.passes import PASSES
from pipeir.version import __version__

PROG = "pipeir-opt"
PASS_LIST_FLAGS = ("-p", "--passes")
REFUSED_XDSL_FLAGS = {
    "disable_verify": ("--disable-verify", "pipeir-opt always verifies its input and result (IR that fails "
                       "its checks can deadlock on the GPU)"),
    "shrink": ("--shrink", "xdsl-opt's test-case reducer hook has no meaning here"),
    "no_implicit_module": ("--no-implicit-module", "pipe IR is always read as one module"),
}
"""xdsl-opt flags pipeir-opt inherits but cannot honour: hidden from --help, and an
error naming the reason when given."""


XDSL_PASS_SUMMARIES = {
    "cse": "Eliminate common subexpressions (xDSL).",
    "dce": "Erase operations whose results are unused and that have no effects (xDSL).",
}


def summary(pass_class: type[ModulePass]) -> str:
    doc = (pass_class.__doc__ or "").strip()
    return doc.splitlines()[0] if doc else XDSL_PASS_SUMMARIES.get(pass_class.name, "")


def fail(message: str, status: int = 2) -> NoReturn:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    sys.exit(status)


def split_pass_flags(argv: Sequence[str]) -> tuple[list[str], list[str]]:
    """Separate pass flags and `-p` lists (kept in order) from the other arguments.

    argparse cannot keep the relative order of different options, and the
    pipeline must run in the order the user wrote it."""
    pipeline: list[str] = []
    rest: list[str] = []
    tokens = iter(argv)
    for token in tokens:
        name = token[2:]
        if token.startswith("--") and name in PASSES:
            pipeline.append(name)
        elif token in PASS_LIST_FLAGS:
            value = next(tokens, None)
            if value is None:
                fail(f"argument {token}: expected one argument")
            pipeline.append(value)
        elif token.startswith("--passes="):
            pipeline.append(token.removeprefix("--passes="))
        elif token.startswith("-p") and not token.startswith("--"):
            pipeline.append(token[2:])
        else:
            rest.append(token)
    return [spec for spec in pipeline if spec], rest


class PipeirOptMain(xDSLOptMain):
    version_format = f"{PROG} {__version__} (xDSL {{xdsl_version}})"

    def __init__(self, argv: Sequence[str]):
        self.pass_spec, rest = split_pass_flags(argv)
        # Summaries import every pass module: only worth it when help is shown.
        self.wants_help = any(a in ("-h", "--help") for a in rest)
        try:
            super().__init__(description=__doc__.splitlines()[0], args=rest)
        except ArgSpecParseError:  # xDSL parses the target as a spec: '' or '{' is no name
            fail(f"argument -t/--emit: expected one of {', '.join(self.available_targets)}")

    def register_all_dialects(self) -> None:
        for dialect in DIALECTS:
            self.ctx.load_dialect(dialect)

    def register_all_passes(self) -> None:
        for name, factory in PASSES.items():
            self.register_pass(name, factory)

    def register_all_arguments(self, arg_parser: argparse.ArgumentParser) -> None:
        arg_parser.prog = PROG
        arg_parser.formatter_class = argparse.RawDescriptionHelpFormatter
        if self.wants_help:
            arg_parser.epilog = "passes (each also usable inside -p):\n" + "\n".join(
                f"  --{name:<22} {summary(factory())}" for name, factory in PASSES.items()
            )
        arg_parser.error = lambda message: fail(message)  # one line, no usage dump
        super().register_all_arguments(arg_parser)
        for action in arg_parser._actions:
            if action.dest in REFUSED_XDSL_FLAGS:
                action.help = argparse.SUPPRESS
            elif action.dest == "version":
                action.help = "print pipeir's version (and xDSL's) and exit"
            elif action.dest == "print_between_passes":
                action.help = "print the IR after each pass but the last, on stderr"
            elif action.dest == "time_passes":
                action.help = "print the time each pass took, on stderr, once the pipeline succeeded"
            elif action.dest == "parsing_diagnostics":
                action.help = "print an error in the input on stdout and exit with status 0"
        arg_parser.add_argument(
            "--verify-each",
            action="store_true",
            help="after every pass, verify the IR and prove its pipeline protocol "
            "(as --verify-pipeline does); the input and the result are always verified",
        )
        arg_parser.add_argument(
            "--emit",
            dest="target",
            default=argparse.SUPPRESS,
            metavar="{mlir,cute}",
            help="what to print: 'mlir' (the IR, default) or 'cute' (the lowered CuTe DSL "
            "Python module); same as -t",
        )
        arg_parser.add_argument(
            "--pass-statistics",
            action="store_true",
            help="print what each pass changed or refused to stderr",
        )

    def register_all_targets(self) -> None:
        from xdsl.universe import Universe

        mlir = Universe.get_multiverse().all_targets["mlir"]
        self.available_targets = {"mlir": mlir, "cute": emit_cute_source}

    def setup_pipeline(self) -> None:
        for dest, (flag, reason) in REFUSED_XDSL_FLAGS.items():
            if getattr(self.args, dest):
                fail(f"{flag} is not supported: {reason}")
        started = time.perf_counter()
        self.pass_seconds: list[tuple[str, float]] = []
        """(pass, seconds) of the chunk being processed, for --time-passes."""

        def after_each(
            previous: ModulePass | None, module: ModuleOp, following: ModulePass | None
        ) -> None:
            nonlocal started
            if previous is not None:
                self.pass_seconds.append((previous.name, time.perf_counter() - started))
            if previous is not None and self.args.verify_each:
                from pipeir.analysis.protocol import verify_pipeline  # simulation: load on demand

                verify_located(module)
                verify_pipeline(module)
            if previous is not None and following is not None and self.args.print_between_passes:
                print(f"// IR after {previous.name}:", file=sys.stderr)
                Printer(stream=sys.stderr).print_op(module)
                print("\n", file=sys.stderr)
            started = time.perf_counter()

        try:
            self.pipeline = PassPipeline.parse_spec(
                self.available_passes, ",".join(self.pass_spec), after_each
            )
        except (ValueError, ArgSpecParseError) as error:
            fail(" ".join(str(error).split()))

    def get_input_stream(self) -> tuple[IO[bytes], str]:
        if self.args.input_file in (None, "-"):
            return sys.stdin.buffer, "mlir"
        try:
            return open(self.args.input_file, "rb"), "mlir"
        except OSError as error:
            fail(f"cannot open '{self.args.input_file}': {error.strerror}", status=1)

    def prepare_output(self) -> IO[str]:
        if self.args.output_file is None:
            return sys.stdout
        try:
            return open(self.args.output_file, "w")
        except OSError as error:
            fail(f"cannot write '{self.args.output_file}': {error.strerror}", status=1)

    def get_input_name(self) -> str:
        return self.args.input_file if self.args.input_file not in (None, "-") else "<stdin>"

    def register_all_frontends(self) -> None:
        self.available_frontends["mlir"] = lambda stream: self.parse_chunk(stream, "mlir")

    def parse_chunk(self, chunk: IO[bytes], file_extension: str, start_offset: int = 0) -> ModuleOp:
        data = chunk.read()
        try:
            text = data.decode()
        except UnicodeDecodeError as error:
            before = data[: error.start]
            line = start_offset + before.count(b"\n") + 1
            column = len(before) - before.rfind(b"\n")  # in bytes
            raise PipeirError(
                f"{self.get_input_name()}:{line}:{column}",
                f"input is not UTF-8 text ({error.reason})",
            )
        module = parse_module(self.ctx, text, self.get_input_name(), line_offset=start_offset)
        verify_located(module)
        return module

    def run(self) -> bool:
        """Process each input chunk (one, or `// -----`-separated ones with
        --split-input-file); an error ends its chunk, not the run. Returns
        whether every chunk succeeded."""
        chunks, file_extension = self.prepare_input()
        output = self.prepare_output()
        succeeded = True
        try:
            for index, (chunk, offset) in enumerate(chunks):
                if index > 0:
                    output.write("// -----\n")
                parsed = False
                try:
                    module = self.parse_chunk(chunk, file_extension, offset)
                    parsed = True
                    self.apply_passes(module)
                    output.write(self.output_resulting_program(module))
                except PipeirError as error:
                    # xdsl-opt: expected errors go to stdout
                    if self.args.verify_diagnostics or (self.args.parsing_diagnostics and not parsed):
                        print(error)
                    else:
                        print(error, file=sys.stderr)
                        succeeded = False
                finally:
                    chunk.close()
                output.flush()
        finally:
            if output is not sys.stdout:
                output.close()
        return succeeded

    def apply_passes(self, prog: ModuleOp) -> None:
        self.pass_seconds.clear()
        super().apply_passes(prog)
        verify_located(prog)
        if self.args.time_passes:  # a report once the pipeline succeeded, like --pass-statistics
            for name, seconds in self.pass_seconds:
                print(f"{name}: {seconds:.4f} s", file=sys.stderr)
        if self.args.pass_statistics:
            for pass_ in self.pipeline.passes:
                for line in getattr(pass_, "statistics", lambda: [])():
                    print(f"{pass_.name}: {line}", file=sys.stderr)


def emit_cute_source(module: ModuleOp, output: IO[str]) -> None:
    """Lower `module` to CuTe DSL once its ring protocol is proved: a wrong protocol
    deadlocks on the GPU without a word, whatever passes did or did not run."""
    from pipeir.analysis.protocol import verify_pipeline
    from pipeir.lower import lower_module  # imports CuTe DSL: only when asked

    verify_pipeline(module)
    output.write(lower_module(module))


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        return 0 if PipeirOptMain(argv).run() else 1
    except PipeirError as error:
        print(error, file=sys.stderr)
        return 1
    except ParseError as error:
        print(f"{error.span.get_location()}: error: {error.msg}", file=sys.stderr)
        return 1
    except RecursionError:
        print(f"{PROG}: error: input nests too deeply", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
