"""Async client of the fee, property-tax and water-meter register (``openapi/fees.v1.yaml``)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import aiohttp

from connectors.errors import NotFound, Rejected, RemoteFault
from connectors.fees.errors import SYSTEM, IdempotencyConflict, ReadingRejectionCode
from connectors.fees.models import (
    FeeKind,
    FeeLine,
    Meter,
    PropertyRecord,
    Reading,
    ReadingAccepted,
    ReadingSource,
    TaxBasis,
)
from connectors.http import JsonHttp, ShapeReader
from connectors.resilience import Resilience

__all__ = ["FeesClient"]

MATRIKKELNUMMER = re.compile(r"^[0-9]{4}-[0-9]+/[0-9]+/[0-9]+/[0-9]+$")
METER_NUMBER = re.compile(r"^[A-Za-z0-9-]{1,40}$")
ALL_PARTS = ("feeBasis", "taxBasis", "meters")

OP_QUERY = "queryProperties"
OP_METER = "getMeter"
OP_SUBMIT = "submitReading"
OP_HEALTH = "health"

# 400 on a write is our own request being wrong (e.g. no key): permanent, like a rejection.
WRITE_FAULTS: dict[int, type[RemoteFault]] = {
    400: Rejected,
    409: IdempotencyConflict,
    422: Rejected,
}


class FeesClient:
    """Typed client of the fee/meter register.

    ``session`` is the app's shared :class:`aiohttp.ClientSession`; ``resilience`` is the
    shared policy object of the "fees" system (deadline, retries, breaker). Reads are retried;
    :meth:`submit_reading` is not (the caller's outbox retries it with the same idempotency key).
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        username: str,
        password: str,
        resilience: Resilience,
        batch_size: int = 500,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self._http = JsonHttp(session, base_url, username, password, system=SYSTEM)
        self._resilience = resilience
        self._batch_size = batch_size

    async def property_data(self, matrikkelnummer: Sequence[str]) -> list[PropertyRecord | None]:
        """Fee basis, tax basis and meters per key, aligned with ``matrikkelnummer``.

        ``None`` where the register does not know the property (or the key is not a well-formed
        matrikkelnummer, which no register can know). Duplicate keys are asked for once; more
        keys than the batch size are split into concurrent calls.
        """
        wanted = list(dict.fromkeys(key for key in matrikkelnummer if MATRIKKELNUMMER.match(key)))
        chunks = [
            wanted[start : start + self._batch_size]
            for start in range(0, len(wanted), self._batch_size)
        ]
        found: dict[str, PropertyRecord | None] = {}
        for result in await asyncio.gather(*(self._query_chunk(chunk) for chunk in chunks)):
            found.update(result)
        return [found.get(key) for key in matrikkelnummer]

    async def meter(self, meter_number: str) -> Meter:
        """One meter with its full history; :class:`~connectors.errors.NotFound` if unknown."""
        if not METER_NUMBER.match(meter_number):
            # Could not be a meter, and must not be allowed to change the URL path.
            raise NotFound("malformed meter number", system=SYSTEM, operation=OP_METER)

        async def call() -> Meter:
            response = await self._http.request_json(
                OP_METER, "GET", f"/api/v1/meters/{meter_number}"
            )
            reader = ShapeReader(SYSTEM, OP_METER)
            return _meter(reader, reader.obj(response.body, "response"))

        return await self._resilience.call(OP_METER, call, idempotent=True)

    async def submit_reading(
        self,
        meter_number: str,
        value: Decimal,
        read_on: date,
        idempotency_key: str,
        comment: str | None = None,
    ) -> ReadingAccepted:
        """Register a reading. Not retried here: repeat it with the same ``idempotency_key``.

        Raises :class:`~connectors.errors.Rejected` (``code`` from
        :class:`~connectors.fees.ReadingRejectionCode`) when the register refuses the reading,
        :class:`~connectors.fees.IdempotencyConflict` when the key was used for another reading.
        """
        if not METER_NUMBER.match(meter_number):
            # The number goes into the URL path: refuse anything that could change the path.
            raise Rejected(
                "malformed meter number",
                system=SYSTEM,
                operation=OP_SUBMIT,
                code=ReadingRejectionCode.UNKNOWN_METER.value,
            )
        if not value.is_finite():
            raise Rejected(
                "value is not a finite number",
                system=SYSTEM,
                operation=OP_SUBMIT,
                code="invalid_value",
            )
        body: dict[str, Any] = {"value": _decimal_text(value), "readOn": read_on.isoformat()}
        if comment is not None:
            body["comment"] = comment

        async def call() -> ReadingAccepted:
            response = await self._http.request_json(
                OP_SUBMIT,
                "POST",
                f"/api/v1/meters/{meter_number}/readings",
                body=body,
                headers={"Idempotency-Key": idempotency_key},
                fault_types=WRITE_FAULTS,
            )
            reader = ShapeReader(SYSTEM, OP_SUBMIT)
            receipt = reader.obj(response.body, "response")
            return ReadingAccepted(
                receipt_id=reader.text(receipt, "receiptId"),
                meter_number=reader.text(receipt, "meterNumber"),
                value_m3=reader.decimal(receipt, "value"),
                read_on=reader.day(receipt, "readOn"),
                registered_at=reader.timestamp(receipt, "registeredAt"),
                consumption_since_last=reader.opt_decimal(receipt, "consumptionSinceLast"),
                replayed=response.status == 200,
            )

        return await self._resilience.call(OP_SUBMIT, call, idempotent=False)

    async def ping(self) -> None:
        """Check that the register answers (for readiness); raises the connector errors."""

        async def call() -> None:
            await self._http.request_json(OP_HEALTH, "GET", "/healthz")

        await self._resilience.call(OP_HEALTH, call, idempotent=True)

    async def _query_chunk(self, keys: list[str]) -> dict[str, PropertyRecord | None]:
        async def call() -> dict[str, PropertyRecord | None]:
            response = await self._http.request_json(
                OP_QUERY,
                "POST",
                "/api/v1/properties/query",
                body={"matrikkelnummer": keys, "include": list(ALL_PARTS)},
            )
            return _query_result(ShapeReader(SYSTEM, OP_QUERY), response.body, keys)

        return await self._resilience.call(OP_QUERY, call, idempotent=True)


def _decimal_text(value: Decimal) -> str:
    # Plain notation: the contract's decimal pattern has no exponent.
    return format(value, "f")


def _query_result(
    reader: ShapeReader, body: Any, keys: list[str]
) -> dict[str, PropertyRecord | None]:
    results = reader.array(reader.obj(body, "response"), "results")
    answered: dict[str, PropertyRecord | None] = {}
    for item in results:
        entry = reader.obj(item, "result")
        key = reader.text(entry, "matrikkelnummer")
        answered[key] = _property(reader, entry) if reader.flag(entry, "found") else None
    if set(answered) != set(keys):
        raise reader.fail("results do not match the requested keys")
    return answered


def _property(reader: ShapeReader, entry: Mapping[str, Any]) -> PropertyRecord:
    tax = entry.get("taxBasis")
    return PropertyRecord(
        matrikkelnummer=reader.text(entry, "matrikkelnummer"),
        fee_basis=tuple(
            _fee_line(reader, reader.obj(line, "fee line"))
            for line in reader.array(entry, "feeBasis")
        ),
        tax_basis=None if tax is None else _tax_basis(reader, reader.obj(tax, "taxBasis")),
        meters=tuple(
            _meter(reader, reader.obj(meter, "meter")) for meter in reader.array(entry, "meters")
        ),
    )


def _fee_line(reader: ShapeReader, line: Mapping[str, Any]) -> FeeLine:
    return FeeLine(
        kind=reader.choice(line, "kind", FeeKind),
        code=reader.text(line, "code"),
        description=reader.text(line, "description"),
        unit=reader.text(line, "unit"),
        quantity=reader.decimal(line, "quantity"),
        unit_price=reader.decimal(line, "unitPrice"),
        annual_amount=reader.decimal(line, "annualAmount"),
    )


def _tax_basis(reader: ShapeReader, tax: Mapping[str, Any]) -> TaxBasis:
    return TaxBasis(
        year=reader.integer(tax, "year"),
        assessed_value=reader.decimal(tax, "assessedValue"),
        statutory_reduction=reader.decimal(tax, "statutoryReduction"),
        basic_deduction=reader.decimal(tax, "basicDeduction"),
        tax_base=reader.decimal(tax, "taxBase"),
        rate_per_mille=reader.decimal(tax, "ratePerMille"),
        annual_tax=reader.decimal(tax, "annualTax"),
        exemption=reader.opt_text(tax, "exemption"),
    )


def _meter(reader: ShapeReader, meter: Mapping[str, Any]) -> Meter:
    return Meter(
        meter_number=reader.text(meter, "meterNumber"),
        matrikkelnummer=reader.text(meter, "matrikkelnummer"),
        installed_on=reader.day(meter, "installedOn"),
        replaced_on=reader.opt_day(meter, "replacedOn"),
        readings=tuple(
            Reading(
                read_on=reader.day(reading, "readOn"),
                value_m3=reader.decimal(reading, "value"),
                source=reader.choice(reading, "source", ReadingSource),
            )
            for reading in (reader.obj(item, "reading") for item in reader.array(meter, "readings"))
        ),
    )
