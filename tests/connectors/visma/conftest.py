"""Fixtures: the Visma invoice simulator on loopback and VismaClients pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from connectors.visma import VismaClient
from simulators.visma.app import build_app
from tests.connectors.json_stack import ConnectorStack, connector_stack


@pytest.fixture
async def stack() -> AsyncIterator[ConnectorStack]:
    async with connector_stack("visma", VismaClient, build_app) as running:
        yield running
