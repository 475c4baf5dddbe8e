"""Generated CuTe DSL sources on disk: written once by their hash, imported as modules
(CuTe DSL re-reads a jitted function's source with `inspect`, so it must live in a file)."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import pathlib
import sys
import tempfile
from typing import Optional, Union

from pipeir.runtime.cache import cache_subdir, warn_unwritable, write_atomically


class SourceWriteError(RuntimeError):
    """A generated kernel source could be written neither to the cache nor to a
    private temporary folder (CuTe DSL needs it in a file)."""


_private_folder: pathlib.Path | None = None
"""This process's own folder for sources, when the cache's cannot be written."""


def write_kernel_source(source: str,
                        cache_dir: Optional[Union[str, os.PathLike]] = None) -> pathlib.Path:
    """Write `source` to ``<cache_dir>/k_<sha256(source)>.py`` (cache_dir defaults
    to the `kernels` folder of pipeir's cache, see pipeir.runtime.cache) and return the path.

    A file there that differs from `source` (cut short, damaged) is written again. When
    the default folder cannot be written (read-only, full), the source goes to a private
    temporary folder of this process instead, with a warning."""
    if cache_dir is not None:
        return _write_source(pathlib.Path(cache_dir), source)
    try:
        return _write_source(cache_subdir("kernels"), source)
    except OSError as error:
        warn_unwritable("the generated kernel source", error)
    global _private_folder
    try:
        if _private_folder is None:
            _private_folder = pathlib.Path(tempfile.mkdtemp(prefix="pipeir-kernels-"))
        return _write_source(_private_folder, source)
    except OSError as error:
        raise SourceWriteError(
            f"cannot write the generated kernel source to {error.filename or tempfile.gettempdir()}: "
            f"{error.strerror or error}") from None


def _write_source(directory: pathlib.Path, source: str) -> pathlib.Path:
    directory.mkdir(parents=True, exist_ok=True)
    data = source.encode()
    path = directory / f"k_{hashlib.sha256(data).hexdigest()}.py"
    try:
        intact = path.read_bytes() == data
    except OSError:  # absent (or unreadable): write it
        intact = False
    if not intact:
        write_atomically(path, data)
    return path


def import_kernel_file(path: Union[str, os.PathLike]):
    """Import a generated kernel file as a module (registered in sys.modules,
    so CuTe DSL can re-read its source with inspect)."""
    path = pathlib.Path(path).resolve()
    name = "pipeir_kernel_" + hashlib.sha256(str(path).encode()).hexdigest()[:16]
    if name in sys.modules and getattr(sys.modules[name], "__file__", None) == str(path):
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


def load_kernel_module(source: str,
                       cache_dir: Optional[Union[str, os.PathLike]] = None):
    """write_kernel_source + import_kernel_file."""
    return import_kernel_file(write_kernel_source(source, cache_dir))
