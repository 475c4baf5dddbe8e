"""What users type and see: dtype aliases in every tool that takes a dtype, --version,
pipeir-opt's inherited xdsl-opt flags (working, or hidden and refused), pipeir-stats's
one-line errors, and the tuner's progress line."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeir.target import DTYPE_ALIASES, ConfigError, dtype_name
from pipeir.target.spec import GemmConfig
from pipeir.tools import gen, opt, stats
from pipeir.tools import tune as tune_cli
from pipeir.runtime.progress import TuningProgress, progress_wanted
from pipeir.version import __version__

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "gemm_bf16_4096_naive.mlir"
IR_TYPE = {"f16": "f16", "bf16": "bf16", "f8e4m3": "f8E4M3FN", "f8e5m2": "f8E5M2", "f32": "f32"}
EVERY_SPELLING = [
    (spelling, canonical)
    for canonical, aliases in DTYPE_ALIASES.items()
    for name in (canonical, *aliases)
    for spelling in (name, name.upper(), f"torch.{name}")
]


@pytest.mark.parametrize("spelling, canonical", EVERY_SPELLING)
def test_every_dtype_spelling_names_its_dtype(spelling, canonical):
    assert dtype_name(spelling) == canonical
    assert GemmConfig(m=256, n=256, k=256, dtype=spelling).dtype == canonical


@pytest.mark.parametrize("alias, canonical", [(a, c) for c, aliases in DTYPE_ALIASES.items() for a in aliases])
def test_pipeir_gen_takes_every_alias(alias, canonical, capsys):
    # f32 is an output dtype only: its aliases name C's, beside bf16 operands
    dtype, out_dtype = (
        ("bf16", alias) if canonical == "f32" else (alias, "half" if canonical == "f16" else "bfloat16"))
    assert gen.main(["gemm", "--m", "256", "--n", "256", "--k", "256", "--dtype", dtype, "--out-dtype", out_dtype]) == 0
    header = capsys.readouterr().out.splitlines()[1]
    assert f"a_dtype = {IR_TYPE['bf16' if canonical == 'f32' else canonical]}," in header
    assert f"c_dtype = {canonical if canonical in ('f16', 'f32') else 'bf16'}," in header


@pytest.mark.parametrize("alias, canonical", [(a, c) for c, aliases in DTYPE_ALIASES.items() for a in aliases])
def test_pipeir_tune_takes_every_alias(alias, canonical):
    args = tune_cli.parser().parse_args(["--shape", "256x256x256", "--dtype", alias, "--dtype", "bf16"])
    assert args.dtype == [canonical, "bf16"]


@pytest.mark.parametrize("tool", [gen.main, tune_cli.main])
def test_an_unknown_dtype_is_one_line_naming_the_choices(tool, capsys):
    argv = ["gemm", "--dtype", "f64"] if tool is gen.main else ["--shape", "256x256x256", "--dtype", "f64"]
    with pytest.raises(SystemExit) as exit_:
        tool(argv)
    assert exit_.value.code == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert "unknown dtype 'f64': expected one of f16 (fp16, float16, half); bf16 (bfloat16); f8e4m3 (fp8, e4m3" in line
    with pytest.raises(ConfigError, match="unknown dtype 'int8'"):
        dtype_name("int8")


def test_an_unknown_dtype_in_a_config_is_left_for_validate():
    config = GemmConfig(m=256, n=256, k=256, dtype="f64")
    assert config.dtype == "f64"
    with pytest.raises(ConfigError, match="dtype must be one of"):
        config.validate()


def run(tool: str, *args: str, stdin: str | None = None):
    return subprocess.run([sys.executable, "-m", f"pipeir.tools.{tool}", *args], capture_output=True, text=True,
                          input=stdin, cwd=ROOT, check=False, env=dict(os.environ, PYTHONPATH=str(ROOT)))


@pytest.mark.parametrize("tool, prog", [("opt", "pipeir-opt"), ("gen", "pipeir-gen"), ("tune", "pipeir-tune"),
                                        ("stats", "pipeir-stats")])
def test_version(tool, prog):
    result = run(tool, "--version")
    assert result.returncode == 0 and result.stdout.startswith(f"{prog} {__version__}"), result.stderr


def test_pipeir_opt_version_names_xdsl_too(capsys):
    with pytest.raises(SystemExit):
        opt.main(["-v"])
    assert capsys.readouterr().out.strip() == f"pipeir-opt {__version__} (xDSL 0.74.0)"


def test_time_passes_reports_each_pass_on_stderr(capsys):
    assert opt.main(["--fold-static-full", "--roll-producer", str(EXAMPLE)]) == 0
    plain = capsys.readouterr().out
    assert opt.main(["--time-passes", "--fold-static-full", "--roll-producer", str(EXAMPLE)]) == 0
    captured = capsys.readouterr()
    assert captured.out == plain
    lines = captured.err.splitlines()
    assert [line.split(":")[0] for line in lines] == ["fold-static-full", "roll-producer"]
    assert all(line.endswith(" s") and float(line.split()[1]) >= 0 for line in lines)


def test_print_between_passes_prints_the_ir_between_passes_on_stderr(capsys):
    assert opt.main(["--print-between-passes", "--fold-static-full", "--roll-producer", "--hoist-rank", str(EXAMPLE)]) == 0
    captured = capsys.readouterr()
    headers = [line for line in captured.err.splitlines() if line.startswith("// IR after")]
    assert headers == ["// IR after fold-static-full:", "// IR after roll-producer:"]
    assert captured.err.count("builtin.module {") == 2 and captured.out.startswith("builtin.module {")


def test_parsing_diagnostics_prints_the_parse_error_on_stdout(tmp_path, capsys):
    bad = tmp_path / "bad.mlir"
    bad.write_text("pipe.kernel")
    assert opt.main(["--parsing-diagnostics", str(bad)]) == 0
    assert "bad.mlir:1:12: error:" in capsys.readouterr().out
    assert opt.main([str(bad)]) == 1


@pytest.mark.parametrize("flag", ["--disable-verify", "--shrink", "--no-implicit-module"])
def test_xdsl_flags_that_cannot_work_here_are_hidden_and_refused(flag, capsys):
    with pytest.raises(SystemExit) as exit_:
        opt.main([flag, str(EXAMPLE)])
    assert exit_.value.code == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"pipeir-opt: error: {flag} is not supported: ")
    with pytest.raises(SystemExit):
        opt.main(["--help"])
    help_text = capsys.readouterr().out
    assert f"  {flag}" not in help_text
    for working in ("--time-passes", "--print-between-passes", "--parsing-diagnostics", "--version"):
        assert working in help_text


def test_pipeir_stats_says_what_to_install_without_a_disassembler(monkeypatch, capsys):
    def missing():
        raise stats.MissingDisassembler("nvdisasm not found: install it with 'pip install nvidia-cuda-nvdisasm'")

    monkeypatch.setattr(stats, "find_nvdisasm", missing)
    assert stats.main([str(EXAMPLE)]) == 1
    assert capsys.readouterr().err == (
        "pipeir-stats: error: nvdisasm not found: install it with 'pip install nvidia-cuda-nvdisasm'\n")


def test_pipeir_stats_reports_an_os_error_without_errno_by_its_message(monkeypatch, capsys):
    def fails(*args, **kwargs):
        raise OSError("the CUDA toolkit's libnvvm could not be loaded")

    monkeypatch.setattr(stats, "find_nvdisasm", lambda: "/bin/true")
    monkeypatch.setattr(stats, "stats_for_module", fails)
    monkeypatch.setattr(stats, "load_kernel", lambda path, arch: (None, "sm_90a"))
    assert stats.main([str(EXAMPLE)]) == 1
    assert capsys.readouterr().err == (
        f"pipeir-stats: error: {EXAMPLE}: the CUDA toolkit's libnvvm could not be loaded\n")


def test_the_disassembler_is_a_dependency_and_the_package_is_typed():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert any(d.startswith("nvidia-cuda-nvdisasm") for d in project["project"]["dependencies"])
    assert project["tool"]["setuptools"]["package-data"]["pipeir"] == ["py.typed"]
    assert (ROOT / "pipeir" / "py.typed").exists()


# --- progress -----------------------------------------------------------------------------

class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("setting, terminal, shown", [
    (None, True, True), (None, False, False), ("1", False, True), ("0", True, False),
])
def test_progress_shows_on_a_terminal_or_when_asked(monkeypatch, setting, terminal, shown):
    if setting is None:
        monkeypatch.delenv("PIPEIR_PROGRESS", raising=False)
    else:
        monkeypatch.setenv("PIPEIR_PROGRESS", setting)
    stream = Terminal() if terminal else io.StringIO()
    assert progress_wanted(stream) is shown
    status = TuningProgress("pipeir: tuning bf16 256x256x256", 2, stream=stream)
    status.compiled_one()
    status.close()
    assert bool(stream.getvalue()) is shown


def test_the_progress_line_counts_candidates_and_names_the_best():
    stream = Terminal()
    status = TuningProgress("pipeir: tuning f16 4096x4096x4096", 4, enabled=True, stream=stream)
    for _ in range(4):
        status.compiled_one()
    status.retimed("timing")
    status.timed_one(0.5, "tile 128x256x64")
    status.timed_one(None, "tile 256x128x64")
    status.timed_one(0.25, "tile 128x128x64")
    assert status.line() == ("pipeir: tuning f16 4096x4096x4096: [#####################...] timing: compiled 4/4, "
                             "timed 3/4, best 0.2500 ms (tile 128x128x64)")
    status.add_candidates(2, "shallower rings")
    assert "shallower rings: compiled 4/6, timed 3/6" in status.line()
    status.close()
    text = stream.getvalue()
    assert text.startswith("\r") and text.endswith("\n") and text.count("\n") == 1  # rewritten in place


def test_without_a_terminal_each_step_is_a_line():
    stream = io.StringIO()
    status = TuningProgress("pipeir-tune", 2, enabled=True, stream=stream, timing=False)
    status.compiled_one()
    status.compiled_one()
    status.close()
    assert stream.getvalue().splitlines() == [
        "pipeir-tune: [........................] compiling: compiled 0/2",
        "pipeir-tune: [############............] compiling: compiled 1/2",
        "pipeir-tune: [########################] compiling: compiled 2/2",
    ]


def test_compiler_processes_report_each_candidate_as_it_finishes():
    from pipeir import tune

    bad = [GemmConfig(m=256, n=256, k=256, tile=(64 + i, 256, 64)) for i in range(3)]
    finished = []
    errors = tune.compile_in_parallel([(config, ()) for config in bad], 2, lambda: finished.append(1))
    assert len(finished) == 3
    assert all("tile" in error for error in errors), errors
    assert json.loads(json.dumps(errors)) == errors
