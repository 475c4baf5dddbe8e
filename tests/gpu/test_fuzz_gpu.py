"""A small run of the GPU differential fuzzer (tests/gpu/fuzz_gpu.py): every case
right or rejected as it must be, no device fault, no hang. The full run of
docs/reliability.md is `python tests/gpu/fuzz_gpu.py --cases 1000 --seed 0 --out DIR`."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.gpu

spec = importlib.util.spec_from_file_location("fuzz_gpu", Path(__file__).parent / "fuzz_gpu.py")
fuzz_gpu = importlib.util.module_from_spec(spec)
sys.modules["fuzz_gpu"] = fuzz_gpu
spec.loader.exec_module(fuzz_gpu)


def test_small_differential_run(tmp_path, capsys) -> None:
    status = fuzz_gpu.main(["--cases", "60", "--seed", "1", "--out", str(tmp_path), "--max-faults", "3"])
    report = capsys.readouterr().out
    assert status == 0, report
    assert (tmp_path / "results.jsonl").read_text().count("\n") == 60
