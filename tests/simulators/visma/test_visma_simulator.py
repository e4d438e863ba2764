"""The Visma invoice simulator speaks its OpenAPI contract over a real socket."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import aiohttp
import pytest
import yaml

from tests.json_simulators import assert_openapi_matches_routes

HOMEOWNER, OVERDUE, NOTHING = 1, 4, 0  # documented persons


def pid_of(sim, index):
    return sim.population.person(index).pid


async def call(sim, method, path, body=None, headers=None, auth=True):
    send = {**(sim.auth if auth else {}), **(headers or {})}
    async with sim.session.request(method, sim.url + path, json=body, headers=send) as response:
        return response.status, response.headers, await response.read()


async def test_health_and_openapi_document_are_served(visma_sim, openapi_doc, validate):
    status, _, body = await call(visma_sim, "GET", "/healthz", auth=False)
    assert status == 200
    validate("Health", json.loads(body))
    status, headers, body = await call(visma_sim, "GET", "/openapi.yaml", auth=False)
    assert status == 200
    assert headers["Content-Type"].startswith("application/yaml")
    assert yaml.safe_load(body) == openapi_doc


async def test_api_needs_basic_auth(visma_sim, validate):
    status, _, raw = await call(
        visma_sim,
        "POST",
        "/api/v1/invoices/search",
        {"customerIdentifier": pid_of(visma_sim, HOMEOWNER)},
        headers={"Authorization": aiohttp.encode_basic_auth("minside", "nope")},
        auth=False,
    )
    assert status == 401
    validate("Problem", json.loads(raw))
    assert visma_sim.control.calls["searchInvoices"] == 0


async def test_search_lists_the_customers_invoices_newest_first(visma_sim, validate):
    pid = pid_of(visma_sim, OVERDUE)
    status, _, raw = await call(
        visma_sim, "POST", "/api/v1/invoices/search", {"customerIdentifier": pid}
    )
    assert status == 200
    body = json.loads(raw)
    validate("InvoiceList", body)
    expected = visma_sim.population.invoices_of(pid)
    assert [f["fakturanummer"] for f in body["fakturaer"]] == [i.invoice_number for i in expected]
    dates = [f["fakturaDato"] for f in body["fakturaer"]]
    assert dates == sorted(dates, reverse=True)
    statuses = {f["status"] for f in body["fakturaer"]}
    assert "INKASSOVARSEL" in statuses
    assert any(f["forfalt"] for f in body["fakturaer"])
    for faktura in body["fakturaer"]:
        assert Decimal(faktura["totalbelop"]) >= Decimal(faktura["belop"])
        assert faktura["faktura"]["url"] == f"/api/v1/invoices/{faktura['fakturanummer']}/pdf"


async def test_search_filters_by_status_and_dates(visma_sim, validate):
    pid = pid_of(visma_sim, OVERDUE)
    invoices = visma_sim.population.invoices_of(pid)
    _, _, raw = await call(
        visma_sim,
        "POST",
        "/api/v1/invoices/search",
        {"customerIdentifier": pid, "status": ["BETALT"]},
    )
    body = json.loads(raw)
    validate("InvoiceList", body)
    assert [f["fakturanummer"] for f in body["fakturaer"]] == [
        i.invoice_number for i in invoices if i.status.value == "BETALT"
    ]
    newest = invoices[0].issued_on
    _, _, raw = await call(
        visma_sim,
        "POST",
        "/api/v1/invoices/search",
        {"customerIdentifier": pid, "fromDate": newest.isoformat(), "toDate": newest.isoformat()},
    )
    assert {f["fakturaDato"] for f in json.loads(raw)["fakturaer"]} == {newest.isoformat()}


async def test_unknown_customer_has_no_invoices(visma_sim):
    _, _, raw = await call(
        visma_sim,
        "POST",
        "/api/v1/invoices/search",
        {"customerIdentifier": pid_of(visma_sim, NOTHING)},
    )
    assert json.loads(raw) == {"fakturaer": []}


@pytest.mark.parametrize(
    "body",
    [
        {"customerIdentifier": "123"},
        {},
        {"customerIdentifier": "01010112345", "status": ["OPEN"]},
        {"customerIdentifier": "01010112345", "fromDate": "01.01.2026"},
        {"customerIdentifier": "01010112345", "extra": 1},
    ],
)
async def test_bad_search_is_422_without_echoing_the_identifier(visma_sim, validate, body):
    status, _, raw = await call(visma_sim, "POST", "/api/v1/invoices/search", body)
    assert status == 422
    validate("Problem", json.loads(raw))
    assert b"01010112345" not in raw


async def test_lookup_is_aligned_and_explicit_about_missing(visma_sim, validate):
    pid = pid_of(visma_sim, HOMEOWNER)
    mine = [i.invoice_number for i in visma_sim.population.invoices_of(pid)]
    numbers = ["999", mine[0], "100000000999999", mine[1]]
    status, _, raw = await call(
        visma_sim, "POST", "/api/v1/invoices/lookup", {"fakturanummer": numbers}
    )
    assert status == 200
    body = json.loads(raw)
    validate("InvoiceLookupResult", body)
    assert [r["fakturanummer"] for r in body["results"]] == numbers
    assert [r["found"] for r in body["results"]] == [False, True, False, True]


async def test_lookup_restricted_to_a_customer_hides_others_invoices(visma_sim):
    mine = visma_sim.population.invoices_of(pid_of(visma_sim, HOMEOWNER))[0].invoice_number
    theirs = visma_sim.population.invoices_of(pid_of(visma_sim, OVERDUE))[0].invoice_number
    _, _, raw = await call(
        visma_sim,
        "POST",
        "/api/v1/invoices/lookup",
        {"fakturanummer": [mine, theirs], "customerIdentifier": pid_of(visma_sim, HOMEOWNER)},
    )
    assert [r["found"] for r in json.loads(raw)["results"]] == [True, False]
    status, _, _ = await call(
        visma_sim,
        "GET",
        f"/api/v1/invoices/{theirs}/pdf",
        headers={"Customer-Identifier": pid_of(visma_sim, HOMEOWNER)},
    )
    assert status == 404


async def test_a_misconfigured_erp_ignores_the_customer_on_by_number_reads(visma_sim):
    # The admin switch makes the ERP hand out other customers' invoices by number, as a
    # misconfigured one would; the customer's own list stays filtered. A reset restores it.
    homeowner = pid_of(visma_sim, HOMEOWNER)
    theirs = visma_sim.population.invoices_of(pid_of(visma_sim, OVERDUE))[0].invoice_number
    lookup = {"fakturanummer": [theirs], "customerIdentifier": homeowner}

    async def found() -> bool:
        _, _, raw = await call(visma_sim, "POST", "/api/v1/invoices/lookup", lookup)
        return bool(json.loads(raw)["results"][0]["found"])

    async def switch(body) -> int:
        async with visma_sim.session.post(
            visma_sim.url + "/_admin/customer-filter", json=body
        ) as response:
            return response.status

    assert await found() is False
    assert await switch({"enabled": "no"}) == 422
    assert await switch({"enabled": False}) == 200
    try:
        assert await found() is True
        status, _, _ = await call(
            visma_sim,
            "GET",
            f"/api/v1/invoices/{theirs}/pdf",
            headers={"Customer-Identifier": homeowner},
        )
        assert status == 200
        _, _, raw = await call(
            visma_sim, "POST", "/api/v1/invoices/search", {"customerIdentifier": homeowner}
        )
        listed = {i["fakturanummer"] for i in json.loads(raw)["fakturaer"]}
        assert theirs not in listed
    finally:
        async with visma_sim.session.post(visma_sim.url + "/_admin/reset?state=true") as reset:
            assert reset.status == 200
    assert await found() is False


async def test_lookup_batch_cap(visma_sim, validate):
    numbers = [str(100_000_000 + n) for n in range(501)]
    status, _, raw = await call(
        visma_sim, "POST", "/api/v1/invoices/lookup", {"fakturanummer": numbers}
    )
    assert status == 413
    validate("Problem", json.loads(raw))
    assert json.loads(raw)["code"] == "batch_too_large"


async def test_invoice_and_pdf_by_number(visma_sim, validate):
    number = visma_sim.population.invoices_of(pid_of(visma_sim, HOMEOWNER))[0].invoice_number
    status, _, raw = await call(visma_sim, "GET", f"/api/v1/invoices/{number}")
    assert status == 200
    validate("Faktura", json.loads(raw))
    status, headers, pdf = await call(visma_sim, "GET", f"/api/v1/invoices/{number}/pdf")
    assert status == 200
    assert headers["Content-Type"] == "application/pdf"
    assert pdf.startswith(b"%PDF")
    assert pdf == visma_sim.population.invoice_pdf(number)
    status, _, raw = await call(visma_sim, "GET", "/api/v1/invoices/12345/pdf")
    assert status == 404
    validate("Problem", json.loads(raw))


async def test_admin_marks_an_invoice_paid(visma_sim, validate):
    pid = pid_of(visma_sim, OVERDUE)
    unpaid = next(
        i
        for i in visma_sim.population.invoices_of(pid)
        if i.status.value != "BETALT" and i.status.value != "KREDITERT"
    )
    status, _, raw = await call(
        visma_sim, "POST", f"/_admin/invoices/{unpaid.invoice_number}/paid", auth=False
    )
    assert status == 200
    paid = json.loads(raw)
    validate("Faktura", paid)
    assert paid["status"] == "BETALT"
    assert Decimal(paid["utestaendeBelop"]) == 0
    assert paid["betaltDato"] == date(2026, 6, 15).isoformat()
    _, _, raw = await call(visma_sim, "GET", f"/api/v1/invoices/{unpaid.invoice_number}")
    assert json.loads(raw)["status"] == "BETALT"
    status, _, _ = await call(visma_sim, "POST", "/_admin/invoices/42/paid", auth=False)
    assert status == 404


async def test_every_invoice_of_many_people_fits_the_schema(visma_sim, validate):
    for index in range(30):
        _, _, raw = await call(
            visma_sim,
            "POST",
            "/api/v1/invoices/search",
            {"customerIdentifier": pid_of(visma_sim, index)},
        )
        validate("InvoiceList", json.loads(raw))


async def test_faults_error_and_outage(visma_sim, validate):
    number = visma_sim.population.invoices_of(pid_of(visma_sim, HOMEOWNER))[0].invoice_number
    visma_sim.control.clear_faults()
    async with visma_sim.session.post(
        visma_sim.url + "/_admin/faults", json={"operation": "getInvoicePdf", "error_rate": 1.0}
    ) as response:
        assert response.status == 200
    status, _, raw = await call(visma_sim, "GET", f"/api/v1/invoices/{number}/pdf")
    assert status == 500
    validate("Problem", json.loads(raw))
    async with visma_sim.session.post(
        visma_sim.url + "/_admin/faults", json={"operation": "getInvoicePdf", "outage": True}
    ) as response:
        assert response.status == 200
    status, _, raw = await call(visma_sim, "GET", f"/api/v1/invoices/{number}/pdf")
    assert (status, raw) == (503, b"")


async def test_request_log_records_paths_but_search_keeps_the_pid_out(visma_sim):
    pid = pid_of(visma_sim, HOMEOWNER)
    await call(visma_sim, "POST", "/api/v1/invoices/search", {"customerIdentifier": pid})
    async with visma_sim.session.get(visma_sim.url + "/_admin/requests") as response:
        paths = await response.json()
    assert "/api/v1/invoices/search" in paths
    assert not any(pid in path for path in paths)


# Extensions of the Fiks shape, documented in the OpenAPI description.
EXTENSIONS = {"forfalt", "betaltDato", "matrikkelnummer", "fakturalinjer"}


def test_faktura_schema_uses_fiks_innsyn_names_and_statuses(openapi_doc):
    from pathlib import Path

    fiks = json.loads((Path(__file__).parent / "fiks" / "faktura.v1.json").read_text())
    ours = openapi_doc["components"]["schemas"]["Faktura"]["properties"]
    assert set(ours) - EXTENSIONS <= set(fiks["properties"])
    assert set(fiks["required"]) <= set(openapi_doc["components"]["schemas"]["Faktura"]["required"])
    fiks_statuses = set(fiks["definitions"]["FakturastatusV1"]["enum"])
    our_statuses = set(openapi_doc["components"]["schemas"]["Fakturastatus"]["enum"])
    assert our_statuses - fiks_statuses == {"KREDITERT"}
    fiks_channels = fiks["definitions"]["FakturaForsendelseskanalV1"]["enum"]
    assert openapi_doc["components"]["schemas"]["Forsendelseskanal"]["enum"] == fiks_channels


def test_openapi_document_is_valid_openapi_and_matches_the_routes(openapi_doc):
    from simulators.visma.app import build_app

    assert_openapi_matches_routes("visma", openapi_doc, build_app)
