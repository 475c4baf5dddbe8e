"""Generated CuTe DSL sources on disk: written once by their hash, imported as modules
(CuTe DSL re-reads a jitted function's source with `inspect`, so it must live in a file)."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import pathlib
import sys
from typing import Optional, Union

from pipeir.runtime.cache import cache_subdir, write_atomically


def write_kernel_source(source: str,
                        cache_dir: Optional[Union[str, os.PathLike]] = None) -> pathlib.Path:
    """Write `source` to ``<cache_dir>/k_<sha256(source)>.py`` (cache_dir defaults
    to the `kernels` folder of pipeir's cache, see pipeir.runtime.cache) and return the path."""
    directory = pathlib.Path(cache_dir) if cache_dir is not None else cache_subdir("kernels")
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"k_{hashlib.sha256(source.encode()).hexdigest()}.py"
    if not path.exists() or path.read_text() != source:
        write_atomically(path, source.encode())
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
