"""Where pipeir keeps what it has already paid for, under one root:

    $PIPEIR_CACHE_DIR (default ~/.cache/pipeir)
        kernels/      generated CuTe DSL sources, named by their hash
        objects/      compiled kernels (CuTe DSL `export_to_c` objects), so a new
                      process loads a kernel in milliseconds instead of compiling it
        tuning.json   the autotuner's choices, one entry per problem and device

Every file is written to a temporary name and renamed into place, so concurrent
processes never read a half-written entry.
"""

from __future__ import annotations

import os
import pathlib


def cache_root() -> pathlib.Path:
    configured = os.environ.get("PIPEIR_CACHE_DIR")
    return pathlib.Path(configured) if configured else pathlib.Path.home() / ".cache" / "pipeir"


def cache_subdir(name: str) -> pathlib.Path:
    path = cache_root() / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_atomically(path: pathlib.Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.tmp{os.getpid()}")
    temporary.write_bytes(data)
    os.replace(temporary, path)
