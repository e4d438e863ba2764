"""Queries and helpers of the submission tests (over the real stack: ``graph`` fixture)."""

from __future__ import annotations

import asyncio
import io
import json
import uuid
from decimal import Decimal
from typing import Any

import aiohttp

from schema.relay import global_id
from simulators.population import documented
from simulators.population.models import Meter
from tests import upload_samples

RECEIPT_FIELDS = """
    receiptId kind kindLabel status statusLabel submittedAt deliveredAt
    rejectionCode rejectionReason
"""

SUBMIT_READING = """
mutation($input: SubmitMeterReadingInput!) {
  submitMeterReading(input: $input) {
    __typename
    ... on MeterReadingReceipt {
      RECEIPT_FIELDS
      meterNumber reading { value readOn } consumptionSinceLast registerReceiptId
    }
    ... on SubmitMeterReadingErrors { errors { field code message } }
  }
}
""".replace("RECEIPT_FIELDS", RECEIPT_FIELDS)

SUBMIT_APPLICATION = """
mutation($input: SubmitApplicationInput!) {
  submitApplication(input: $input) {
    __typename
    ... on ApplicationReceipt { RECEIPT_FIELDS typeCode title matrikkelnummer caseNumber }
    ... on SubmitApplicationErrors { errors { field code message } }
  }
}
""".replace("RECEIPT_FIELDS", RECEIPT_FIELDS)

SUBMISSIONS = """
query($kinds: [SubmissionKind!], $statuses: [SubmissionStatus!]) {
  viewer {
    submissions(kinds: $kinds, statuses: $statuses) {
      __typename receiptId kind status rejectionCode rejectionReason
      ... on MeterReadingReceipt { meterNumber reading { value readOn } consumptionSinceLast }
      ... on ApplicationReceipt { typeCode caseNumber }
    }
  }
}
"""

# Whole, valid files: the gateway checks all of an upload against its declared type.
PDF = upload_samples.pdf()
PNG = upload_samples.png()
JPEG = upload_samples.jpeg()


def homeowner_meter(graph: Any) -> Meter:
    """The documented homeowner's one water meter, as the simulator holds it now."""
    population = graph.stack.population
    (owned,) = population.properties_of(graph.pid(documented.HOMEOWNER))
    (meter,) = population.meters(owned.property.matrikkelnummer)
    return meter


def meter_id(meter_number: str) -> str:
    return global_id("WaterMeter", meter_number)


def reading_input(meter: Meter, increase: str = "50", **overrides: Any) -> dict[str, Any]:
    """A valid reading of ``meter``: the last one plus ``increase`` m³, dated today."""
    last = meter.readings[-1]
    base: dict[str, Any] = {
        "meterId": meter_id(meter.meter_number),
        "value": format(last.value_m3 + Decimal(increase), "f"),
        "readOn": today_iso(),
        "idempotencyKey": str(uuid.uuid4()),
    }
    base.update(overrides)
    return base


def today_iso() -> str:
    from resolvers.submission.meter_reading import oslo_today

    return oslo_today().isoformat()


def codes(result: dict[str, Any], mutation: str) -> set[tuple[str, str]]:
    """The (field, code) pairs of an errors answer."""
    assert "errors" not in result, result
    answer = result["data"][mutation]
    assert answer["__typename"].endswith("Errors"), answer
    return {(error["field"], error["code"]) for error in answer["errors"]}


def receipt(result: dict[str, Any], mutation: str) -> dict[str, Any]:
    assert "errors" not in result, result
    answer: dict[str, Any] = result["data"][mutation]
    assert answer["__typename"].endswith("Receipt"), answer
    return answer


async def submissions(graph: Any, pid: str, **variables: Any) -> list[dict[str, Any]]:
    result = await graph.query(SUBMISSIONS, variables, pid=pid)
    assert "errors" not in result, result
    items: list[dict[str, Any]] = result["data"]["viewer"]["submissions"]
    return items


async def wait_until(condition: Any, within_s: float = 30.0, every_s: float = 0.2) -> Any:
    """Poll the async ``condition`` until it returns a truthy value; fail after ``within_s``."""
    async with asyncio.timeout(within_s):
        while True:
            value = await condition()
            if value:
                return value
            await asyncio.sleep(every_s)


def multipart_form(
    query: str, variables: dict[str, Any], files: list[tuple[str, str, str, bytes]]
) -> aiohttp.FormData:
    """A GraphQL multipart request: ``files`` are (variable path, name, content type, bytes)
    and each path's variable is set to null in ``operations`` as the spec asks."""
    form = aiohttp.FormData(default_to_multipart=True)
    form.add_field("operations", json.dumps({"query": query, "variables": variables}))
    form.add_field(
        "map", json.dumps({str(index): [path] for index, (path, _, _, _) in enumerate(files)})
    )
    for index, (_, name, content_type, data) in enumerate(files):
        form.add_field(str(index), io.BytesIO(data), filename=name, content_type=content_type)
    return form


async def post_multipart(
    graph: Any,
    query: str,
    variables: dict[str, Any],
    files: list[tuple[str, str, str, bytes]],
    *,
    pid: str | None,
    acr: str = "idporten-loa-substantial",
    headers: dict[str, str] | None = None,
) -> tuple[int, Any]:
    sent = dict(headers or {})
    if pid is not None:
        sent["Authorization"] = f"Bearer {graph.stack.token(pid, acr)}"
    async with graph.http.post(
        f"{graph.stack.gateway_url}/graphql",
        data=multipart_form(query, variables, files),
        headers=sent,
    ) as response:
        text = await response.text()
        try:
            return response.status, json.loads(text)
        except ValueError:
            return response.status, text


def digging(**overrides):
    """A complete GRAVETILLATELSE input (no property needed) with a map upload slot."""
    base = {
        "typeCode": "GRAVETILLATELSE",
        "idempotencyKey": str(uuid.uuid4()),
        "fields": [
            {"key": "location", "value": "Storgata 1, fortauet på østsiden"},
            {"key": "start_date", "value": "2027-03-01"},
            {"key": "end_date", "value": "2027-03-15"},
            {"key": "contractor", "value": "Graveservice AS"},
            {"key": "road_closed", "value": "false"},
        ],
        "files": [{"attachment": "map", "file": None}],
    }
    base.update(overrides)
    return base
