"""Fixtures of the scale-out tests (two gateway processes sharing Redis and PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.scaleout.back_office import BackOffice, running_back_office


@pytest.fixture
async def back_office() -> AsyncIterator[BackOffice]:
    """A fresh stand-in and simulators for the test."""
    async with running_back_office() as office:
        yield office
