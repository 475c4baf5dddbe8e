"""GPU tests skip cleanly without CUDA. With pytest-xdist, `-n 8 --dist loadgroup`
keeps each kernel configuration on one worker, so each kernel compiles once."""

import pytest

torch = pytest.importorskip("torch")


def pytest_collection_modifyitems(config, items):
    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU")
    for item in items:
        item.add_marker(skip)
