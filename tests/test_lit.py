"""Runs the lit + FileCheck suite under tests/filecheck as part of pytest."""

import os
import subprocess
import sys
from pathlib import Path

FILECHECK_DIR = Path(__file__).parent / "filecheck"


def test_lit_suite() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "lit", "-q", "-j2", str(FILECHECK_DIR)],
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
