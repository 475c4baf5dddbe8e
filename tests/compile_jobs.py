"""Compile generated kernel modules in parallel, for the tests that sweep many of them:
`pipeir-stats --json` of each in its own process (which also compiles each for its own
architecture, whatever CuTe DSL default the test process has)."""

import json
import subprocess
import sys

JOBS = 2
"""Processes at a time: the CI machine has two cores."""


def stats_of(paths, arch: str | None = None) -> list[dict]:
    """pipeir-stats --json of each generated module (per kernel name), JOBS at a time."""
    results, running = [None] * len(paths), []
    for index, path in enumerate(paths):
        command = [sys.executable, "-m", "pipeir.tools.stats", str(path), "--json"]
        running.append((index, subprocess.Popen(command + (["--arch", arch] if arch else []),
                                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)))
        if len(running) == JOBS or index == len(paths) - 1:
            for position, process in running:
                out, err = process.communicate()
                assert process.returncode == 0, err
                results[position] = json.loads(out)
            running = []
    return results
