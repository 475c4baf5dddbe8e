"""Every CLI and API entry answers a user mistake with one line of error and a
non-zero status (an exception of a documented type for the API), never a
traceback; errors about an input file carry a real `file:line:col`."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import pipeir
import pipeir.tune  # noqa: F401  (imports the compiler module before pipeir.compile is first read)
from pipeir.target.spec import ConfigError, GemmConfig

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "gemm_bf16_4096_naive.mlir"
BROKEN_PROTOCOL = ROOT / "tests" / "filecheck" / "verify-pipeline" / "missing-commit.mlir"
"""Valid IR whose ring protocol deadlocks: only the protocol check can reject it."""
UNWRITABLE = "/proc/no-such-dir/out"
TOOL_MODULES = {
    "pipeir-opt": "pipeir.tools.opt",
    "pipeir-gen": "pipeir.tools.gen",
    "pipeir-stats": "pipeir.tools.stats",
    "pipeir-tune": "pipeir.tools.tune",
}


def located(file_name: str) -> re.Pattern:
    return re.compile(rf"^\S*/{re.escape(file_name)}:\d+:\d+: error: .+$")


def tool_error(tool: str) -> re.Pattern:
    return re.compile(rf"^{tool}: error: .+$")


def no_kernel_file(directory: Path) -> Path:
    path = directory / "no-kernel.mlir"
    path.write_text('"func.func"() ({}) {sym_name = "f", function_type = () -> ()} : () -> ()\n')
    return path


def text_file(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text)
    return path


USE_BEFORE_DEFINITION = """func.func @f() {
  scf.for %i = %lb to %ub step %st {
    %lb = arith.constant 0 : index
    %ub = arith.constant 1 : index
    %st = arith.constant 1 : index
  }
  func.return
}
"""


def case(case_id: str, tool: str, arguments, expected: re.Pattern, *marks):
    """A CLI mistake: `arguments` is a callable of the test's temporary directory;
    `expected` is what the single error line must match."""
    return pytest.param(tool, arguments, expected, id=case_id, marks=marks)


CLI_CASES = [
    case("gen-huge-m", "pipeir-gen", lambda d: ["gemm", "--m", "99999999999999999999"], tool_error("pipeir-gen")),
    case("gen-zero-tile-k", "pipeir-gen", lambda d: ["gemm", "--tile", "128x256x0"], tool_error("pipeir-gen")),
    case("gen-zero-stages", "pipeir-gen", lambda d: ["gemm", "--stages", "0"], tool_error("pipeir-gen")),
    case("gen-bad-size", "pipeir-gen", lambda d: ["gemm", "--k", "1e3"], tool_error("pipeir-gen")),
    case("gen-unwritable-o", "pipeir-gen", lambda d: ["gemm", "-o", UNWRITABLE], tool_error("pipeir-gen")),
    case("opt-unwritable-o", "pipeir-opt", lambda d: ["-o", UNWRITABLE, str(EXAMPLE)], tool_error("pipeir-opt")),
    case("opt-missing-input", "pipeir-opt", lambda d: [str(d / "missing.mlir")], tool_error("pipeir-opt")),
    case("opt-emit-cute-unproved", "pipeir-opt",
         lambda d: ["--emit=cute", str(BROKEN_PROTOCOL)], located(BROKEN_PROTOCOL.name)),
    case("opt-verify-each-emit-cute-unproved", "pipeir-opt",
         lambda d: ["--verify-each", "--emit=cute", str(BROKEN_PROTOCOL)], located(BROKEN_PROTOCOL.name)),
    case("opt-use-before-definition", "pipeir-opt",  # fuzz seed 0 case 1600: scf.for's bounds from its body
         lambda d: [str(text_file(d, "use-before-def.mlir", USE_BEFORE_DEFINITION))], located("use-before-def.mlir")),
    case("opt-emit-cute-no-kernel", "pipeir-opt",
         lambda d: ["--emit=cute", str(no_kernel_file(d))], located("no-kernel.mlir")),
    case("stats-non-ir-file", "pipeir-stats",
         lambda d: [str(text_file(d, "notes.txt", "hello\n"))], tool_error("pipeir-stats")),
    case("stats-non-ir-mlir", "pipeir-stats",
         lambda d: [str(text_file(d, "notes.mlir", "hello\n"))], located("notes.mlir")),
    case("stats-foreign-py", "pipeir-stats",
         lambda d: [str(text_file(d, "foreign.py", "import no_such_module\n"))], tool_error("pipeir-stats")),
    case("stats-missing-file", "pipeir-stats", lambda d: [str(d / "missing.mlir")], tool_error("pipeir-stats")),
    case("stats-bad-arch", "pipeir-stats", lambda d: [str(EXAMPLE), "--arch", "sm_99"], tool_error("pipeir-stats")),
    case("stats-unproved", "pipeir-stats", lambda d: [str(BROKEN_PROTOCOL)], located(BROKEN_PROTOCOL.name)),
    case("tune-zero-shape", "pipeir-tune", lambda d: ["--shape", "0x4096x4096"], tool_error("pipeir-tune")),
    case("tune-zero-jobs", "pipeir-tune", lambda d: ["--shape", "256x256x256", "--jobs", "0"],
         tool_error("pipeir-tune")),
    case("tune-no-gpu", "pipeir-tune", lambda d: ["--shape", "256x256x256"], tool_error("pipeir-tune")),
]


def run_tool(tool: str, arguments: list[str], cwd: Path) -> subprocess.CompletedProcess:
    environment = dict(os.environ, PIPEIR_CACHE_DIR=str(cwd / "cache"), CUDA_VISIBLE_DEVICES="")
    return subprocess.run(
        [sys.executable, "-m", TOOL_MODULES[tool], *arguments],
        cwd=cwd, env=environment, capture_output=True, text=True, timeout=300,
    )


def assert_one_line_error(status: int, stderr: str, expected: re.Pattern) -> None:
    assert status != 0, stderr
    assert "Traceback" not in stderr, stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert expected.match(lines[0]), lines[0]
    assert "<unknown>" not in lines[0], lines[0]


@pytest.mark.parametrize("tool, arguments, expected", CLI_CASES)
def test_cli_mistake_is_one_line(tool, arguments, expected, tmp_path) -> None:
    result = run_tool(tool, arguments(tmp_path), tmp_path)
    assert_one_line_error(result.returncode, result.stderr, expected)


def test_stats_without_disassembler_says_what_to_install(monkeypatch, capsys, tmp_path) -> None:
    import nvidia

    from pipeir.tools import stats

    monkeypatch.setattr(nvidia, "__path__", [])
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("CUDA_HOME", str(tmp_path))
    monkeypatch.setattr(stats.os, "access", lambda path, mode: False)  # no /usr/local/cuda either
    status = stats.main([str(EXAMPLE)])
    stderr = capsys.readouterr().err
    assert_one_line_error(status, stderr, tool_error("pipeir-stats"))
    assert "pip install nvidia-cuda-nvdisasm" in stderr


def test_tune_compile_only_fails_when_every_candidate_fails(monkeypatch, capsys) -> None:
    from pipeir.tools import tune

    monkeypatch.setattr(
        tune, "prepare_all", lambda configs, passes, jobs, on_compiled=None: {c: "CompileError: boom" for c in configs})
    status = tune.main(["--shape", "256x256x256", "--compile-only", "--jobs", "1"])
    assert_one_line_error(status, capsys.readouterr().err, tool_error("pipeir-tune"))


def test_tune_compile_only_succeeds_when_one_candidate_compiles(monkeypatch, capsys) -> None:
    from pipeir.tools import tune

    def first_compiles(configs, passes, jobs, on_compiled=None):
        return {c: None if i == 0 else "CompileError: boom" for i, c in enumerate(configs)}

    monkeypatch.setattr(tune, "prepare_all", first_compiles)
    assert tune.main(["--shape", "256x256x256", "--compile-only", "--jobs", "1"]) == 0
    assert capsys.readouterr().err == ""


CPU_BF16 = torch.ones(64, 64, dtype=torch.bfloat16)
SMALL = dict(m=256, n=256, k=256)
API_CASES = [
    pytest.param(lambda: pipeir.compile("x"), TypeError, id="compile-string"),
    pytest.param(lambda: pipeir.compile(GemmConfig(m=0, n=256, k=256), tune=False), ConfigError, id="compile-zero-m"),
    pytest.param(lambda: pipeir.compile(GemmConfig(m=99999999999999999999, n=256, k=256), tune=False), ConfigError,
                 id="compile-huge-m"),
    pytest.param(lambda: pipeir.compile(GemmConfig(**SMALL, tile=(128, 256, 0)), tune=False), ConfigError,
                 id="compile-zero-tile-k"),
    pytest.param(lambda: pipeir.compile(GemmConfig(**SMALL), passes=["nope"], tune=False), ValueError,
                 id="compile-unknown-pass"),
    pytest.param(lambda: pipeir.compile(GemmConfig(**SMALL), passes="fold-static-full"), TypeError,
                 id="compile-passes-as-string"),
    pytest.param(lambda: pipeir.matmul(1, 2), TypeError, id="matmul-not-tensors"),
    pytest.param(lambda: pipeir.matmul(CPU_BF16.float(), CPU_BF16.float()), TypeError, id="matmul-float32"),
    pytest.param(lambda: pipeir.matmul(CPU_BF16, CPU_BF16), ValueError, id="matmul-cpu-tensors"),
    pytest.param(lambda: pipeir.matmul(CPU_BF16[0], CPU_BF16), ValueError, id="matmul-1d"),
]


@pytest.mark.parametrize("call, expected", API_CASES)
def test_api_mistake_raises_one_line(call, expected) -> None:
    with pytest.raises(expected) as raised:
        call()
    message = str(raised.value)
    assert message and "\n" not in message, message
    assert "<unknown>" not in message, message


def test_pipeir_compile_is_the_entry_point() -> None:
    # pipeir.tune imports the compiler module: a module named pipeir/compile.py
    # used to replace the package's `compile` function on that import.
    assert callable(pipeir.compile) and pipeir.compile.__module__ == "pipeir.api"
