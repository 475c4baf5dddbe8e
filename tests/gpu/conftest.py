"""GPU tests skip cleanly without CUDA. With pytest-xdist, `-n 8 --dist loadgroup`
keeps each kernel configuration on one worker, so each kernel compiles once."""

from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
HERE = Path(__file__).parent


def pytest_collection_modifyitems(config, items):
    # This hook sees every collected test, not only this directory's.
    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU")
    for item in items:
        if HERE in Path(item.fspath).parents:
            item.add_marker(skip)
