"""``cache_off``: a test that changes a back-office system's state behind the gateway's back
(a case officer's decision, the ERP marking paid, an injected outage after a warm query) and
expects the very next query to see it runs with MINSIDE_CACHE=off.

Request it before ``graph`` (``async def test_x(cache_off, graph)``): it sets the variable
before the stack's settings are read.
"""

from __future__ import annotations

import pytest


@pytest.fixture
def cache_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MINSIDE_CACHE", "off")
