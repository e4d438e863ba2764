"""Async client of the fee, property-tax and water-meter register (``contracts/fees/``)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

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
from connectors.http import JsonResponse
from connectors.json_connector import JsonConnector
from connectors.shapes import ShapeReader

__all__ = ["FeesClient"]

MATRIKKELNUMMER = re.compile(r"^[0-9]{4}-[0-9]+/[0-9]+/[0-9]+/[0-9]+$")
METER_NUMBER = re.compile(r"^[A-Za-z0-9-]{1,40}$")
ALL_PARTS = ("feeBasis", "taxBasis", "meters")

OP_QUERY = "queryProperties"
OP_METER = "getMeter"
OP_SUBMIT = "submitReading"

# 400 on a write is our own request being wrong (e.g. no key): permanent, like a rejection.
WRITE_FAULTS: dict[int, type[RemoteFault]] = {
    400: Rejected,
    409: IdempotencyConflict,
    422: Rejected,
}


class FeesClient(JsonConnector):
    """Typed client of the fee/meter register.

    ``session`` is the app's shared :class:`aiohttp.ClientSession`; ``resilience`` is the
    shared policy object of the "fees" system (deadline, retries, breaker). Reads are retried;
    :meth:`submit_reading` is not (the caller's outbox retries it with the same idempotency key).
    The constructor and :meth:`ping` are :class:`~connectors.json_connector.JsonConnector`'s.
    """

    system = SYSTEM

    async def property_data(self, matrikkelnummer: Sequence[str]) -> list[PropertyRecord | None]:
        """Fee basis, tax basis and meters per key, aligned with ``matrikkelnummer``.

        ``None`` where the register does not know the property (or the key is not a well-formed
        matrikkelnummer, which no register can know). Duplicate keys are asked for once; more
        keys than the batch size are split into concurrent calls.
        """
        return await self._lookup(matrikkelnummer, self._query_chunk, askable=_is_matrikkelnummer)

    async def meter(self, meter_number: str) -> Meter:
        """One meter with its full history; :class:`~connectors.errors.NotFound` if unknown."""
        if not METER_NUMBER.match(meter_number):
            # Could not be a meter, and must not be allowed to change the URL path.
            raise NotFound("malformed meter number", system=SYSTEM, operation=OP_METER)

        def parse(reader: ShapeReader, response: JsonResponse) -> Meter:
            return _meter(reader, reader.obj(response.body, "response"))

        return await self._request(
            OP_METER, "GET", f"/api/v1/meters/{meter_number}", parse, idempotent=True
        )

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

        def parse(reader: ShapeReader, response: JsonResponse) -> ReadingAccepted:
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

        return await self._request(
            OP_SUBMIT,
            "POST",
            f"/api/v1/meters/{meter_number}/readings",
            parse,
            idempotent=False,
            body=body,
            headers={"Idempotency-Key": idempotency_key},
            fault_types=WRITE_FAULTS,
        )

    async def _query_chunk(self, keys: list[str]) -> dict[str, PropertyRecord | None]:
        def parse(reader: ShapeReader, response: JsonResponse) -> dict[str, PropertyRecord | None]:
            return reader.found_results(
                response.body, "matrikkelnummer", keys, lambda entry: _property(reader, entry)
            )

        return await self._request(
            OP_QUERY,
            "POST",
            "/api/v1/properties/query",
            parse,
            idempotent=True,
            body={"matrikkelnummer": keys, "include": list(ALL_PARTS)},
        )


def _is_matrikkelnummer(key: str) -> bool:
    return MATRIKKELNUMMER.match(key) is not None


def _decimal_text(value: Decimal) -> str:
    # Plain notation: the contract's decimal pattern has no exponent.
    return format(value, "f")


def _property(reader: ShapeReader, entry: Mapping[str, Any]) -> PropertyRecord:
    tax = entry.get("taxBasis")
    return PropertyRecord(
        matrikkelnummer=reader.text(entry, "matrikkelnummer"),
        fee_basis=tuple(
            _fee_line(reader, line) for line in reader.objects(entry, "feeBasis", "fee line")
        ),
        tax_basis=None if tax is None else _tax_basis(reader, reader.obj(tax, "taxBasis")),
        meters=tuple(_meter(reader, meter) for meter in reader.objects(entry, "meters", "meter")),
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
            for reading in reader.objects(meter, "readings", "reading")
        ),
    )
