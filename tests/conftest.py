"""Shared fixtures: every test gets settings isolated from the developer's environment."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path) -> Iterator[None]:
    # A developer's MINSIDE_* variables or .env file must not change what the tests see.
    for name in list(os.environ):
        if name.startswith("MINSIDE_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    yield
