"""Shared fixtures: every test gets settings isolated from the developer's environment."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.environment import isolated_environment


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path: Path) -> Iterator[None]:
    # A developer's MINSIDE_* variables or .env file must not change what the tests see.
    with isolated_environment(tmp_path):
        yield
