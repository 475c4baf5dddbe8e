"""Where pipeir keeps what it has already paid for, under one root:

    $PIPEIR_CACHE_DIR (default ~/.cache/pipeir)
        kernels/      generated CuTe DSL sources, named by their hash
        objects/      compiled kernels (CuTe DSL `export_to_c` objects), so a new
                      process loads a kernel in milliseconds instead of compiling it
        tuning.json   the autotuner's choices, one entry per problem and device

Every file is written to a temporary name and renamed into place, so concurrent
processes never read a half-written entry. The cache only saves time: a cache that
cannot be written (read-only, full) costs a warning and a compile in every process,
and an entry that cannot be read or fails its check is ignored and written again.
"""

from __future__ import annotations

import json
import os
import pathlib
import time
import warnings
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


class CacheWarning(RuntimeWarning):
    """pipeir's cache could not be written; everything still works, only slower."""


def warn_unwritable(what: str, error: Exception) -> None:
    if isinstance(error, OSError) and error.strerror:
        reason = f"{error.filename or cache_root()}: {error.strerror}"
    else:  # CuTe DSL's own report of a failed export
        reason = (str(error).strip().splitlines() or [type(error).__name__])[0]
    warnings.warn(f"pipeir: cannot write {what} in the cache ({reason}); it is rebuilt in every process",
                  CacheWarning, stacklevel=3)


def write_atomically(path: pathlib.Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        temporary.write_bytes(data)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)  # left only when a write failed (a full disk)


def tuning_file():
    return cache_root() / "tuning.json"


CHOICE_FIELDS = {"tile": list, "cluster": list, "raster": str, "stages": int, "mma_in_flight": (int, type(None))}
"""What a recorded choice must hold (and of which JSON type) to be applied."""


def is_choice(entry: object) -> bool:
    return isinstance(entry, dict) and all(
        isinstance(entry.get(name), kind) for name, kind in CHOICE_FIELDS.items())


def read_choices() -> dict:
    """The recorded choices by tuning key; a file that is unreadable or not JSON, and
    entries that are not choices (a hand edit, another version), count as absent."""
    try:
        choices = json.loads(tuning_file().read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(choices, dict):
        return {}
    return {key: entry for key, entry in choices.items() if is_choice(entry)}


def record_choice(key: str, choice: GemmConfig, timing_ms: float, tried: int) -> None:
    choices = read_choices()
    choices[key] = {
        "tile": list(choice.tile_shape),
        "cluster": list(choice.cluster_shape),
        "raster": choice.raster_order,
        "raster_group": choice.raster_group,
        "stages": choice.stage_count,
        "mma_in_flight": choice.mma_in_flight,
        "swap_ab": choice.swap_ab,
        "split_k": choice.split_k,
        "pingpong": bool(choice.pingpong),
        "ms": round(timing_ms, 5),
        "tried": tried,
        "date": time.strftime("%Y-%m-%d"),
    }
    try:
        tuning_file().parent.mkdir(parents=True, exist_ok=True)
        write_atomically(tuning_file(), (json.dumps(choices, indent=1, sort_keys=True) + "\n").encode())
    except OSError as error:
        warn_unwritable("the tuning choice", error)
