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

import json
import os
import pathlib
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pipeir.target.spec import GemmConfig


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


def tuning_file():
    return cache_root() / "tuning.json"


def read_choices() -> dict:
    try:
        return json.loads(tuning_file().read_text())
    except (OSError, ValueError):
        return {}


def record_choice(key: str, choice: GemmConfig, timing_ms: float, tried: int) -> None:
    choices = read_choices()
    choices[key] = {
        "tile": list(choice.tile_shape),
        "cluster": list(choice.cluster_shape),
        "raster": choice.raster_order,
        "stages": choice.stage_count,
        "ms": round(timing_ms, 5),
        "tried": tried,
        "date": time.strftime("%Y-%m-%d"),
    }
    tuning_file().parent.mkdir(parents=True, exist_ok=True)
    write_atomically(tuning_file(), (json.dumps(choices, indent=1, sort_keys=True) + "\n").encode())
