"""Fixtures: the fee/meter simulator on loopback and FeesClients pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from connectors.fees import FeesClient
from simulators.fees.app import build_app
from tests.connectors.json_stack import ConnectorStack, connector_stack


@pytest.fixture
async def stack() -> AsyncIterator[ConnectorStack]:
    async with connector_stack("fees", FeesClient, build_app) as running:
        yield running
