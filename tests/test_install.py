"""`pip install .` into a fresh virtualenv, then the README's commands and pipeir-stats
on an example kernel, run from outside the checkout.

pipeir itself is built and installed non-editable from a copy of the checkout; its
dependencies are the ones this interpreter already has (the new environment reads this
interpreter's site-packages through a .pth file, and pip runs with --no-index), so the
test needs no network and takes about a minute."""

import json
import os
import shutil
import site
import subprocess
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOT_SHIPPED = shutil.ignore_patterns(".git", ".venv", "build", "*.egg-info", "__pycache__", ".pytest_cache",
                                     ".hypothesis", "Output", "fuzz-failures", ".cache", "runs")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def environment(tmp_path_factory):
    base = tmp_path_factory.mktemp("install")
    checkout = base / "checkout"
    shutil.copytree(ROOT, checkout, ignore=NOT_SHIPPED)
    prefix = base / "venv"
    venv.create(prefix, with_pip=False)
    python = prefix / "bin" / "python"
    purelib = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                             capture_output=True, text=True, check=True).stdout.strip()
    # addsitedir also runs the .pth files there (nvidia-cutlass-dsl installs its packages through one).
    dependencies = [p for p in site.getsitepackages() if Path(p).is_dir()] or [sysconfig.get_path("purelib")]
    Path(purelib, "pipeir_test_dependencies.pth").write_text(
        "".join(f"import site; site.addsitedir({path!r})\n" for path in dependencies))
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{prefix / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    installed = subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--no-index", "--no-build-isolation", str(checkout)],
        capture_output=True, text=True, env=env, cwd=base, check=False)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return python, prefix, env, base


def run(environment, *command: str):
    _, _, env, cwd = environment
    return subprocess.run(list(command), capture_output=True, text=True, env=env, cwd=cwd, check=False, timeout=300)


def test_pipeir_is_installed_non_editable_with_its_type_marker(environment):
    python, prefix, _, _ = environment
    result = run(environment, str(python), "-c", "import pipeir, pathlib; print(pathlib.Path(pipeir.__file__).parent)")
    package = Path(result.stdout.strip())
    assert result.returncode == 0 and prefix in package.parents, result.stdout + result.stderr
    assert (package / "py.typed").exists()
    requirements = run(environment, str(python), "-c",
                       "from importlib import metadata; print('\\n'.join(metadata.requires('pipeir')))").stdout
    assert "nvidia-cuda-nvdisasm" in requirements


def test_the_readme_commands_work(environment):
    python, _, _, base = environment
    kernel = base / "kernel.mlir"
    generated = run(environment, "pipeir-gen", "gemm", "--m", "4096", "--n", "4096", "--k", "4096", "--dtype", "bf16",
                    "--tile", "128x256x64", "--stages", "4", "--cluster", "2x1", "--arch", "sm_90a", "-o", str(kernel))
    assert generated.returncode == 0, generated.stderr
    optimized = run(environment, "pipeir-opt", "--fold-static-full", "--roll-producer", "--hoist-rank",
                    "--pass-statistics", str(kernel))
    assert optimized.returncode == 0 and optimized.stdout.startswith("builtin.module"), optimized.stderr
    lowered = run(environment, "pipeir-opt", "--roll-producer", "--emit=cute", str(kernel))
    assert lowered.returncode == 0 and "def compile_kernel" in lowered.stdout, lowered.stderr
    assert run(environment, "pipeir-opt", "--version").stdout.startswith("pipeir-opt ")
    api = run(environment, str(python), "-c",
              "import pipeir, torch; from pipeir.target.spec import GemmConfig; "
              "print(pipeir.ops.mm, pipeir.nn.Linear, callable(pipeir.matmul), callable(pipeir.compile))")
    assert api.returncode == 0 and "pipeir.nn.Linear" in api.stdout, api.stderr


def test_pipeir_stats_runs_on_an_example_kernel(environment):
    result = run(environment, "pipeir-stats", str(ROOT / "examples" / "gemm_bf16_4096_naive.mlir"), "--json")
    assert result.returncode == 0, result.stderr
    (kernel,) = json.loads(result.stdout).values()
    assert kernel["gmma"] > 0 and kernel["utmaldg"] > 0 and kernel["spills"] == 0
