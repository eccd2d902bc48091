from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from rt_helpers import Ws, make_ws


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Ws]:
    before = set(sys.modules)
    saved = list(sys.path)
    yield make_ws(tmp_path)
    # each test has its own lib folder with the same module names: forget them
    for name in set(sys.modules) - before:
        if name.startswith(("rt_", "example_")):
            del sys.modules[name]
    sys.path[:] = saved
