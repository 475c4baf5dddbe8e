"""Runs the lit + FileCheck suite under tests/filecheck as part of pytest."""

import os
import re
import subprocess
import sys
from pathlib import Path

FILECHECK_DIR = Path(__file__).parent / "filecheck"


def test_lit_suite() -> None:
    result = subprocess.run(
        [sys.executable, "-c", "from lit.main import main; main()", "-s", "-j2", str(FILECHECK_DIR)],
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    test_files = [p for p in FILECHECK_DIR.rglob("*.mlir") if "Output" not in p.parts]
    passed = re.search(r"Passed\s*:\s*(\d+)", result.stdout)
    assert passed and int(passed.group(1)) == len(test_files), result.stdout
