"""pipeir-stats of one configuration's kernel in the headline form, compiled for sm_90a on
the CPU (CuTe DSL needs no GPU; nvdisasm comes with the nvidia-cuda-nvdisasm wheel)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pipeir.build import gemm
from pipeir.passes import HEADLINE_PIPELINE, run_passes
from pipeir.target.spec import GemmConfig


def kernel_stats(config: GemmConfig, folder: Path, passes=HEADLINE_PIPELINE) -> tuple[dict, str]:
    """(`pipeir-stats --json`'s figures, the SASS) of `config`'s kernel after `passes`."""
    pytest.importorskip("cutlass")
    from pipeir.tools.stats import MissingDisassembler, find_nvdisasm

    try:
        find_nvdisasm()
    except MissingDisassembler as error:
        pytest.fail(str(error))
    module = gemm(config)
    run_passes(module, passes)
    path, sass = folder / "kernel.mlir", folder / "kernel.sass"
    path.write_text(str(module))
    result = subprocess.run([sys.executable, "-m", "pipeir.tools.stats", str(path), "--json", "--sass-out", str(sass)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    (stats,) = json.loads(result.stdout).values()
    return stats, sass.read_text()
