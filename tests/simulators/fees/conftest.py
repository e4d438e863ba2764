"""Fixtures: the fee/meter simulator on a loopback socket, and OpenAPI schema validators."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import aiohttp
import pytest
import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from kernel.servers import ServerSpec, running_servers
from simulators.admin import SimulatorControl
from simulators.fees.app import OPENAPI_PATH, build_app
from simulators.population import Population

USER, PASSWORD = "minside", "s3cret"
TODAY = date(2026, 6, 15)


@dataclass
class FeesSim:
    url: str
    population: Population
    control: SimulatorControl
    session: aiohttp.ClientSession

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": aiohttp.encode_basic_auth(USER, PASSWORD)}


@pytest.fixture
async def fees_sim() -> AsyncIterator[FeesSim]:
    population = Population(seed=2026, size=50, today=TODAY)
    control = SimulatorControl("fees", population)
    app = build_app(population, control, username=USER, password=PASSWORD)
    async with running_servers([ServerSpec("fees", app)]) as servers, aiohttp.ClientSession() as s:
        yield FeesSim(servers[0].url, population, control, s)


@pytest.fixture(scope="session")
def openapi_doc() -> dict[str, Any]:
    return yaml.safe_load(OPENAPI_PATH.read_text())


@pytest.fixture(scope="session")
def validate(openapi_doc: dict[str, Any]) -> Callable[[str, Any], None]:
    """validate(schema_name, instance): raises jsonschema.ValidationError when it does not fit."""
    registry: Registry[Any] = Registry().with_resource(
        "urn:fees-openapi", Resource.from_contents(openapi_doc, default_specification=DRAFT202012)
    )

    def check(name: str, instance: Any) -> None:
        assert name in openapi_doc["components"]["schemas"], name
        schema = {"$ref": f"urn:fees-openapi#/components/schemas/{name}"}
        Draft202012Validator(
            schema, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER
        ).validate(instance)

    return check
