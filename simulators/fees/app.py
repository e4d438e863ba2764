"""Simulator of the fee, property-tax and water-meter register (``contracts/fees/fees.v1.yaml``).

Serves the synthetic population's fee basis, tax basis and meters per matrikkelnummer and
accepts new readings with idempotency keys, over HTTP Basic, with the admin surface of
:class:`~simulators.admin.SimulatorControl` on ``/_admin``.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from contracts import openapi_document
from simulators.admin import SimulatorControl
from simulators.fees.serialize import meter_json, property_json
from simulators.jsonapi import JsonApi, ProblemError, read_json
from simulators.population import Population
from simulators.population.errors import InvalidInputError, NotFoundError
from simulators.population.models import Meter, Reading, ReadingSource

__all__ = ["MAX_BATCH_SIZE", "OPENAPI_PATH", "build_app"]

OPENAPI_PATH = openapi_document("fees")
MAX_BATCH_SIZE = 500
PARTS = frozenset({"feeBasis", "taxBasis", "meters"})
MATRIKKELNUMMER = re.compile(r"^[0-9]{4}-[0-9]+/[0-9]+/[0-9]+/[0-9]+$")
DECIMAL = re.compile(r"^[0-9]+(\.[0-9]+)?$")
MAX_KEY_LENGTH = 200
MAX_COMMENT_LENGTH = 500


@dataclass(frozen=True)
class StoredAnswer:
    """What an idempotency key was first used for, and what was answered."""

    fingerprint: str
    payload: dict[str, Any]


class FeesRegister:
    """The operations of the register over a population; one per app."""

    def __init__(self, population: Population) -> None:
        self.population = population
        # (meter number, key) -> first answer, like the register's own idempotency table.
        self._answers: dict[tuple[str, str], StoredAnswer] = {}
        self._receipts = 0

    def forget_answers(self) -> None:
        """Drop the idempotency table (when the population drops the readings it recorded)."""
        self._answers.clear()

    async def query_properties(self, request: Request) -> Response:
        body = await read_json(request)
        if not isinstance(body, dict) or not isinstance(body.get("matrikkelnummer"), list):
            raise ProblemError(422, "invalid_request", "Body needs a matrikkelnummer array")
        keys: list[Any] = body["matrikkelnummer"]
        if len(keys) > MAX_BATCH_SIZE:
            raise ProblemError(413, "batch_too_large", f"At most {MAX_BATCH_SIZE} keys per request")
        if not keys:
            raise ProblemError(422, "invalid_request", "matrikkelnummer must not be empty")
        for key in keys:
            if not isinstance(key, str) or not MATRIKKELNUMMER.match(key):
                raise ProblemError(
                    422, "invalid_matrikkelnummer", "Not a matrikkelnummer (knr-gnr/bnr/fnr/snr)"
                )
        include = body.get("include", sorted(PARTS))
        if not isinstance(include, list) or not set(include) <= PARTS:
            raise ProblemError(422, "invalid_request", "include must list known parts")
        parts = frozenset(include)
        results = [property_json(self.population, key, parts) for key in keys]
        return JSONResponse({"results": results})

    async def get_meter(self, request: Request) -> Response:
        meter = self._meter(request.path_params["meter_number"])
        if meter is None:
            raise ProblemError(404, "not_found", "No such meter")
        return JSONResponse(meter_json(meter))

    async def submit_reading(self, request: Request) -> Response:
        meter_number: str = request.path_params["meter_number"]
        key = request.headers.get("idempotency-key", "")
        if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
            raise ProblemError(400, "idempotency_key_missing", "Idempotency-Key header required")
        body = await read_json(request)
        fingerprint = hashlib.sha256(
            json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
        ).hexdigest()
        stored = self._answers.get((meter_number, key))
        if stored is not None:
            if stored.fingerprint != fingerprint:
                raise ProblemError(
                    409, "idempotency_conflict", "Idempotency-Key was used for another reading"
                )
            return JSONResponse(
                stored.payload, status_code=200, headers={"Idempotent-Replayed": "true"}
            )
        value, read_on, _comment = _new_reading(body)
        meter = self._meter(meter_number)
        if meter is None:
            raise ProblemError(422, "unknown_meter", "No such meter")
        previous = self._validate(meter, value, read_on)
        try:
            self.population.add_reading(
                meter_number, Reading(read_on, value, ReadingSource.CITIZEN)
            )
        except NotFoundError:
            raise ProblemError(422, "unknown_meter", "No such meter") from None
        except InvalidInputError:
            raise ProblemError(422, "invalid_value", "The register refused the reading") from None
        self._receipts += 1
        payload = {
            "receiptId": f"R{self._receipts:08d}-{fingerprint[:8]}",
            "meterNumber": meter_number,
            "value": format(value, "f"),
            "readOn": read_on.isoformat(),
            "registeredAt": datetime.now(UTC).isoformat(timespec="seconds"),
            "consumptionSinceLast": (
                None if previous is None else format(value - previous.value_m3, "f")
            ),
        }
        self._answers[(meter_number, key)] = StoredAnswer(fingerprint, payload)
        return JSONResponse(payload, status_code=201)

    def _meter(self, meter_number: str) -> Meter | None:
        return self.population.meter_by_number(meter_number)

    def _validate(self, meter: Meter, value: Decimal, read_on: date) -> Reading | None:
        """The previous reading; raises the 422 problem when the new one is not acceptable."""
        if not meter.is_active:
            raise ProblemError(422, "meter_replaced", "The meter has been replaced")
        if read_on > self.population.today:
            raise ProblemError(422, "date_in_future", "The reading date is in the future")
        last = meter.readings[-1] if meter.readings else None
        if last is not None and read_on < last.read_on:
            raise ProblemError(
                422,
                "before_last_reading",
                "The date is before the last reading",
                detail=f"Last reading is from {last.read_on.isoformat()}",
            )
        if last is not None and value < last.value_m3:
            raise ProblemError(
                422,
                "below_last_reading",
                "The value is below the last reading",
                detail=f"Last reading is {last.value_m3} m3",
            )
        return last


def _new_reading(body: Any) -> tuple[Decimal, date, str | None]:
    if not isinstance(body, dict) or set(body) - {"value", "readOn", "comment"}:
        raise ProblemError(422, "invalid_request", "Body has value, readOn and comment only")
    raw_value, raw_date, comment = body.get("value"), body.get("readOn"), body.get("comment")
    if not isinstance(raw_value, str) or not DECIMAL.match(raw_value):
        raise ProblemError(422, "invalid_value", "value must be a non-negative decimal string")
    try:
        value = Decimal(raw_value)
    except InvalidOperation:  # pragma: no cover - the pattern already checked
        raise ProblemError(422, "invalid_value", "value is not a decimal") from None
    if not isinstance(raw_date, str):
        raise ProblemError(422, "invalid_request", "readOn must be an ISO date")
    try:
        read_on = date.fromisoformat(raw_date)
    except ValueError:
        raise ProblemError(422, "invalid_request", "readOn must be an ISO date") from None
    if comment is not None and (not isinstance(comment, str) or len(comment) > MAX_COMMENT_LENGTH):
        raise ProblemError(422, "invalid_request", "comment must be a short string")
    return value, read_on, comment


def build_app(
    population: Population, control: SimulatorControl, *, username: str, password: str
) -> Starlette:
    """The fee/meter register simulator as a Starlette app (see the module docstring)."""
    api = JsonApi(control, username=username, password=password, openapi_path=OPENAPI_PATH)
    register = FeesRegister(population)
    routes = [
        *api.common_routes(),
        Route(
            "/api/v1/properties/query",
            api.operation("queryProperties", register.query_properties),
            methods=["POST"],
        ),
        Route(
            "/api/v1/meters/{meter_number}",
            api.operation("getMeter", register.get_meter),
            methods=["GET"],
        ),
        Route(
            "/api/v1/meters/{meter_number}/readings",
            api.operation("submitReading", register.submit_reading),
            methods=["POST"],
        ),
        api.reset_route(register.forget_answers),
        *control.admin_routes(api.admin_extras()),
    ]
    return Starlette(routes=routes, middleware=[api.middleware()])
