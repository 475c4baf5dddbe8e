"""pipeir's cache under faults: two processes compiling one kernel at once, a
truncated or corrupted object, a truncated source, a read-only or a full cache, a
damaged tuning file. Each still gives the kernel of the source asked for (compiled,
or loaded from an object that passed its digest) or one clear error; never a
crash, never another kernel.

Compiles run on the CPU (CUTE_DSL_ARCH=sm_90a); loading an exported object works
there too. Running the kernels needs the GPU (tests/gpu)."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest

os.environ.setdefault("CUTE_DSL_ARCH", "sm_90a")
pytest.importorskip("cutlass")

from pipeir.build import gemm  # noqa: E402
from pipeir.lower import lower_module  # noqa: E402
from pipeir.runtime import cache, objects, sources  # noqa: E402
from pipeir.runtime.cache import CacheWarning, read_choices, record_choice  # noqa: E402
from pipeir.runtime.objects import compiled_function, digest_path, object_path  # noqa: E402
from pipeir.target.spec import GemmConfig  # noqa: E402

ARCH = "sm_90a"
CONFIG = GemmConfig(m=None, n=None, k=None, dtype="bf16", tile=(128, 128, 64), stages=2)
"""A small dynamic-shape kernel: about 5 s to compile on the CPU."""


@pytest.fixture(scope="module")
def source() -> str:
    return lower_module(gemm(CONFIG))


@pytest.fixture
def cache_dir(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("PIPEIR_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture(scope="module")
def filled_cache(source, tmp_path_factory) -> Path:
    """A cache holding the kernel's source and exported object (one compile)."""
    directory = tmp_path_factory.mktemp("filled") / "cache"
    previous = os.environ.get("PIPEIR_CACHE_DIR")
    os.environ["PIPEIR_CACHE_DIR"] = str(directory)
    try:
        assert compiled_function(source, ARCH).origin == "compiled"
    finally:
        if previous is None:
            del os.environ["PIPEIR_CACHE_DIR"]
        else:
            os.environ["PIPEIR_CACHE_DIR"] = previous
    return directory


@pytest.fixture
def cache_copy(filled_cache, tmp_path, monkeypatch) -> Path:
    """A private copy of the filled cache, made the current cache."""
    import shutil

    copy = tmp_path / "cache"
    shutil.copytree(filled_cache, copy)
    monkeypatch.setenv("PIPEIR_CACHE_DIR", str(copy))
    return copy


def object_files(directory: Path) -> list[str]:
    return sorted(p.name for p in (directory / "objects").iterdir())


# -- objects -------------------------------------------------------------------------------

@pytest.mark.slow
def test_intact_object_is_loaded(cache_copy, source) -> None:
    assert compiled_function(source, ARCH).origin == "object cache"


@pytest.mark.slow
@pytest.mark.parametrize("keep", [0, 100, 0.5, -100])
def test_truncated_object_is_compiled_again(cache_copy, source, keep) -> None:
    path = object_path(source, ARCH)
    data = path.read_bytes()
    path.write_bytes(data[: int(keep * len(data)) if isinstance(keep, float) else keep % len(data)])
    assert compiled_function(source, ARCH).origin == "compiled"
    assert path.read_bytes() != b"" and compiled_function(source, ARCH).origin == "object cache"


@pytest.mark.slow
def test_corrupted_object_that_still_loads_is_not_used(cache_copy, source, monkeypatch) -> None:
    # Flipped bytes inside a section leave a loadable ELF file (CuTe DSL 4.8.1 loads
    # it): only the digest tells it from the object that was exported.
    path = object_path(source, ARCH)
    damaged = bytearray(path.read_bytes())
    for i in range(len(damaged) // 3, len(damaged) // 3 + 64):
        damaged[i] ^= 0xFF
    path.write_bytes(bytes(damaged))
    assert compiled_function(source, ARCH).origin == "compiled"
    assert path.read_bytes() != bytes(damaged)


@pytest.mark.slow
def test_object_compiled_before_a_collective_changed_is_not_loaded(cache_copy, source, monkeypatch) -> None:
    # The source names its collectives, not their code: an edit of a collective (here,
    # as if pipeir/lower/cute had changed) must not be served the object compiled before.
    before = object_path(source, ARCH)
    monkeypatch.setattr(objects, "collectives_digest", lambda: "0" * 64)
    assert object_path(source, ARCH) != before
    assert compiled_function(source, ARCH).origin == "compiled"


def test_collectives_digest_covers_every_collective_source(tmp_path) -> None:
    import shutil

    root = tmp_path / "pipeir"
    for folder in objects.COLLECTIVE_SOURCES:
        shutil.copytree(objects.PACKAGE_ROOT / folder, root / folder)
    assert objects.collectives_digest(root) == objects.collectives_digest(objects.PACKAGE_ROOT)
    sources = [path for folder in objects.COLLECTIVE_SOURCES for path in (root / folder).rglob("*.py")]
    assert any(path.name == "mainloop_tma_wgmma.py" for path in sources)
    assert any(path.name == "schedule.py" for path in sources)
    digests = set()
    for path in (root / "lower/cute/sm90/mainloop_tma_wgmma.py", root / "target/schedule.py"):
        original = path.read_bytes()
        path.write_bytes(original + b"# an edit\n")
        digests.add(objects.collectives_digest.__wrapped__(root))
        path.write_bytes(original)
    assert len(digests) == 2 and objects.collectives_digest(objects.PACKAGE_ROOT) not in digests


def test_object_without_digest_is_not_loaded(tmp_path, monkeypatch) -> None:
    path = tmp_path / "k.o"
    path.write_bytes(b"\x7fELF whatever")
    loads = []
    monkeypatch.setattr("cutlass.cute.runtime.load_module", lambda *a, **k: loads.append(a))
    assert objects.load_object(path) is None and not loads


def test_object_of_another_digest_is_removed(tmp_path, monkeypatch) -> None:
    path = tmp_path / "k.o"
    path.write_bytes(b"\x7fELF whatever")
    digest_path(path).write_text("0" * 64 + "\n")
    loads = []
    monkeypatch.setattr("cutlass.cute.runtime.load_module", lambda *a, **k: loads.append(a))
    assert objects.load_object(path) is None and not loads
    assert not path.exists() and not digest_path(path).exists()


@pytest.mark.slow
def test_two_processes_compiling_the_same_kernel_at_once(cache_dir, source, tmp_path) -> None:
    script = tmp_path / "compile_one.py"
    script.write_text(textwrap.dedent(f"""
        from pipeir.build import gemm
        from pipeir.lower import lower_module
        from pipeir.runtime.objects import compiled_function
        from pipeir.target.spec import GemmConfig
        source = lower_module(gemm(GemmConfig(**{CONFIG.__dict__!r})))
        print(compiled_function(source, {ARCH!r}).origin)
    """))
    environment = dict(os.environ, PIPEIR_CACHE_DIR=str(cache_dir), CUTE_DSL_ARCH=ARCH)
    processes = [subprocess.Popen([sys.executable, str(script)], env=environment, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [process.communicate(timeout=300) for process in processes]
    for process, (stdout, stderr) in zip(processes, outputs):
        assert process.returncode == 0, stderr
        assert stdout.strip() in ("compiled", "object cache"), stdout
    key = object_path(source, ARCH).stem
    assert object_files(cache_dir) == [f"{key}.o", f"{key}.sha256"]  # no temporary left behind
    assert compiled_function(source, ARCH).origin == "object cache"


@pytest.mark.slow
def test_read_only_cache_still_compiles(source, monkeypatch) -> None:
    # /proc takes no new folders, even for root (who ignores a folder's mode bits).
    monkeypatch.setenv("PIPEIR_CACHE_DIR", "/proc/pipeir-read-only-cache")
    monkeypatch.setattr(sources, "_private_folder", None)
    with pytest.warns(CacheWarning, match="cannot write") as caught:
        loaded = compiled_function(source, ARCH)
    assert loaded.origin == "compiled"
    assert all("\n" not in str(w.message) for w in caught)


@pytest.mark.slow
def test_full_cache_keeps_the_compiled_kernel(cache_dir, source, monkeypatch) -> None:
    def no_space(self, path, function_name):
        Path(path).write_bytes(b"\x7fELF cut sh")  # what a full disk leaves
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), path)

    # What cute.compile(..., "--enable-tvm-ffi") returns in nvidia-cutlass-dsl 4.8.1.
    monkeypatch.setattr("cutlass.cutlass_dsl.tvm_ffi_provider.TVMFFIJitCompiledFunctionBase.export_to_c", no_space)
    with pytest.warns(CacheWarning, match="No space left on device"):
        assert compiled_function(source, ARCH).origin == "compiled"
    assert object_files(cache_dir) == []  # no partial object, no digest


# -- sources -------------------------------------------------------------------------------

def test_truncated_source_is_written_again(source, cache_dir) -> None:
    path = sources.write_kernel_source(source)
    path.write_text(source[: len(source) // 2])
    assert sources.write_kernel_source(source) == path and path.read_text() == source


def test_source_that_is_not_text_is_written_again(source, cache_dir) -> None:
    path = sources.write_kernel_source(source)
    path.write_bytes(b"\xff\xfe" + source.encode()[:100])
    assert sources.write_kernel_source(source) == path and path.read_text() == source


def test_unwritable_source_folder_falls_back_to_a_private_one(source, monkeypatch) -> None:
    monkeypatch.setenv("PIPEIR_CACHE_DIR", "/proc/pipeir-read-only-cache")
    monkeypatch.setattr(sources, "_private_folder", None)
    with pytest.warns(CacheWarning):
        path = sources.write_kernel_source(source)
    assert path.read_text() == source and not str(path).startswith("/proc")


def test_full_disk_is_one_clear_error(source, cache_dir, monkeypatch) -> None:
    def no_space(path, data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(sources, "write_atomically", no_space)
    monkeypatch.setattr(sources, "_private_folder", None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CacheWarning)
        with pytest.raises(sources.SourceWriteError, match="No space left on device") as raised:
            sources.write_kernel_source(source)
    assert "\n" not in str(raised.value)


def test_failed_write_leaves_no_temporary(tmp_path, monkeypatch) -> None:
    def no_space(source, destination):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(destination))

    monkeypatch.setattr(cache.os, "replace", no_space)
    with pytest.raises(OSError):
        cache.write_atomically(tmp_path / "entry", b"data")
    assert list(tmp_path.iterdir()) == []


# -- tuning choices ------------------------------------------------------------------------

CHOICE = GemmConfig(m=4096, n=4096, k=4096, tile=(128, 256, 64), cluster=(2, 1), raster="m", stages=4)


@pytest.mark.parametrize("text", ["", "{", "[1, 2]", "null", '{"key": 3}', '{"key": {"tile": [128, 256, 64]}}',
                                  '{"key": {"tile": 1, "cluster": [1, 1], "raster": "m", "stages": 4}}'])
def test_damaged_tuning_file_counts_as_no_choice(cache_dir, text) -> None:
    cache_dir.mkdir(parents=True)
    cache.tuning_file().write_text(text)
    assert read_choices() == {}
    record_choice("key", CHOICE, 0.2, tried=3)  # and is replaced by a good one
    assert read_choices()["key"]["tile"] == [128, 256, 64]


def test_unwritable_tuning_file_is_a_warning(monkeypatch) -> None:
    monkeypatch.setenv("PIPEIR_CACHE_DIR", "/proc/pipeir-read-only-cache")
    with pytest.warns(CacheWarning, match="tuning choice"):
        record_choice("key", CHOICE, 0.2, tried=3)
    assert read_choices() == {}


def test_good_entries_survive_a_bad_neighbour(cache_dir) -> None:
    record_choice("good", CHOICE, 0.2, tried=3)
    choices = json.loads(cache.tuning_file().read_text())
    choices["bad"] = {"tile": "128x256"}
    cache.tuning_file().write_text(json.dumps(choices))
    assert set(read_choices()) == {"good"}
