"""A JSON back-office simulator (fee/meter register or Visma) alone on a loopback socket.

Shared by the simulators' own tests (``tests/simulators/{fees,visma}``) and their connectors'
tests (``tests/connectors/{fees,visma}``), which used to carry four near copies of this.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

import aiohttp
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from starlette.applications import Starlette
from starlette.routing import Route

from kernel.servers import ServerSpec, running_servers
from simulators.admin import Fault, SimulatorControl
from simulators.population import Population

USER, PASSWORD = "minside", "s3cret"
TODAY = date(2026, 6, 15)


class SimulatorApp(Protocol):
    """``simulators.<system>.app.build_app``."""

    def __call__(
        self, population: Population, control: SimulatorControl, *, username: str, password: str
    ) -> Starlette: ...


@dataclass
class JsonSimulator:
    """The simulator's address, what it serves from, its admin control and an HTTP client."""

    url: str
    population: Population
    control: SimulatorControl
    session: aiohttp.ClientSession

    @property
    def auth(self) -> dict[str, str]:
        """The Basic auth header the simulator accepts."""
        return {"Authorization": aiohttp.encode_basic_auth(USER, PASSWORD)}

    def fault(self, operation: str, **kwargs: Any) -> None:
        """Inject a fault into `operation` (in process, as the admin route would)."""
        self.control.set_fault(operation, Fault(**kwargs))

    async def admin_json(self, path: str, method: str = "GET", **kwargs: Any) -> Any:
        """Call an admin route over HTTP; it must answer 200 with JSON."""
        async with self.session.request(method, self.url + path, **kwargs) as response:
            assert response.status == 200
            return await response.json()


@contextlib.asynccontextmanager
async def json_simulator(system: str, build_app: SimulatorApp) -> AsyncIterator[JsonSimulator]:
    """`system`'s simulator over 50 synthetic people (the documented ones among them)."""
    population = Population(seed=2026, size=50, today=TODAY)
    control = SimulatorControl(system, population)
    app = build_app(population, control, username=USER, password=PASSWORD)
    async with (
        running_servers([ServerSpec(system, app)]) as (server,),
        aiohttp.ClientSession() as session,
    ):
        yield JsonSimulator(server.url, population, control, session)


def schema_validator(system: str, openapi_doc: dict[str, Any]) -> Callable[[str, Any], None]:
    """validate(schema_name, instance): raises jsonschema.ValidationError when it does not fit
    the named schema of `openapi_doc`."""
    urn = f"urn:{system}-openapi"
    registry: Registry[Any] = Registry().with_resource(
        urn, Resource.from_contents(openapi_doc, default_specification=DRAFT202012)
    )

    def check(name: str, instance: Any) -> None:
        assert name in openapi_doc["components"]["schemas"], name
        schema = {"$ref": f"{urn}#/components/schemas/{name}"}
        Draft202012Validator(
            schema, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER
        ).validate(instance)

    return check


def assert_openapi_matches_routes(
    system: str, openapi_doc: dict[str, Any], build_app: SimulatorApp
) -> None:
    """The document is valid OpenAPI, and every operation it documents is served."""
    from openapi_spec_validator import validate as validate_spec

    validate_spec(openapi_doc)
    population = Population(size=10)
    app = build_app(population, SimulatorControl(system, population), username="u", password="p")

    def shape(path: str) -> str:
        return re.sub(r"\{[^}]+\}", "{}", path)

    served = {
        (shape(route.path), method)
        for route in app.routes
        if isinstance(route, Route)
        for method in (route.methods or ())
    }
    documented = {
        (shape(path), method.upper())
        for path, item in openapi_doc["paths"].items()
        for method in item
        if method in {"get", "post", "put", "delete", "patch"}
    }
    assert documented <= served
