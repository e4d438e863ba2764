"""Settings isolated from the developer's environment, for each test and for shared stacks."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest


@contextlib.contextmanager
def isolated_environment(workdir: Path) -> Iterator[None]:
    """No ``MINSIDE_*`` variables but ``MINSIDE_MODE=development``, and `workdir` as the
    working directory (so no ``.env`` file of the developer's is read), until the block ends.

    Development mode, because the tests' tokens come from the stand-in without an audience
    and tests read GraphiQL, introspection and /readyz details; tests/gateway/
    test_production_mode.py sets ``mode="production"`` (with an audience) to test that."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        for name in list(os.environ):
            if name.startswith("MINSIDE_"):
                monkeypatch.delenv(name)
        monkeypatch.setenv("MINSIDE_MODE", "development")
        monkeypatch.chdir(workdir)
        yield
