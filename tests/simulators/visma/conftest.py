"""Fixtures: the Visma invoice simulator on a loopback socket, and OpenAPI schema validators."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import yaml

from simulators.visma.app import OPENAPI_PATH, build_app
from tests.json_simulators import JsonSimulator, json_simulator, schema_validator


@pytest.fixture
async def visma_sim() -> AsyncIterator[JsonSimulator]:
    async with json_simulator("visma", build_app) as sim:
        yield sim


@pytest.fixture(scope="session")
def openapi_doc() -> dict[str, Any]:
    return yaml.safe_load(OPENAPI_PATH.read_text())


@pytest.fixture(scope="session")
def validate(openapi_doc: dict[str, Any]) -> Callable[[str, Any], None]:
    """validate(schema_name, instance): raises jsonschema.ValidationError when it does not fit."""
    return schema_validator("visma", openapi_doc)
