"""VismaClient against the Visma invoice simulator over a real loopback socket."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from connectors.errors import (
    CircuitOpen,
    MalformedResponse,
    NotFound,
    RemoteFault,
    SystemTimeout,
    SystemUnavailable,
)
from connectors.visma import Invoice, InvoiceStatus

HOMEOWNER, LANDOWNER, OVERDUE = 1, 2, 4  # documented persons


def pid_of(stack, index):
    return stack.population.person(index).pid


async def test_invoices_for_customer(stack):
    pid = pid_of(stack, OVERDUE)
    invoices = await stack.client().invoices_for_customer(pid)
    expected = stack.population.invoices_of(pid)
    assert [i.invoice_number for i in invoices] == [i.invoice_number for i in expected]
    for got, want in zip(invoices, expected, strict=True):
        assert isinstance(got, Invoice)
        assert got.status.value == want.status.value
        assert got.amount == want.amount
        assert got.outstanding == want.outstanding
        assert got.total == want.total
        assert got.kid == want.kid
        assert got.overdue == want.overdue
        assert got.payable == want.payable
        assert len(got.lines) == len(want.lines)
        assert isinstance(got.amount, Decimal)
    assert InvoiceStatus.DEBT_COLLECTION_NOTICE in {i.status for i in invoices}


async def test_invoices_for_customer_filters(stack):
    pid = pid_of(stack, OVERDUE)
    client = stack.client()
    paid = await client.invoices_for_customer(pid, statuses={InvoiceStatus.PAID})
    assert paid
    assert {i.status for i in paid} == {InvoiceStatus.PAID}
    newest = (await client.invoices_for_customer(pid))[0].issued_on
    recent = await client.invoices_for_customer(pid, from_date=newest, to_date=newest)
    assert {i.issued_on for i in recent} == {newest}


async def test_invoices_by_number_aligned_and_chunked(stack):
    client = stack.client(batch_size=3)
    mine = [i.invoice_number for i in stack.population.invoices_of(pid_of(stack, LANDOWNER))]
    numbers = [mine[0], "12345", mine[1], "not a number!", *mine[2:], mine[0]]
    invoices = await client.invoices_by_number(numbers)
    assert [i.invoice_number if i else None for i in invoices] == [
        mine[0],
        None,
        mine[1],
        None,
        *mine[2:],
        mine[0],
    ]
    # 6 unique well-formed + 1 unknown = 7 numbers in batches of 3.
    calls = await stack.admin_json("/_admin/calls")
    assert calls["lookupInvoices"] == 3


async def test_invoices_by_number_restricted_to_the_customer(stack):
    mine = stack.population.invoices_of(pid_of(stack, HOMEOWNER))[0].invoice_number
    theirs = stack.population.invoices_of(pid_of(stack, OVERDUE))[0].invoice_number
    result = await stack.client().invoices_by_number(
        [mine, theirs], customer_pid=pid_of(stack, HOMEOWNER)
    )
    assert [i is not None for i in result] == [True, False]


async def test_invoice_pdf_bytes(stack):
    number = stack.population.invoices_of(pid_of(stack, HOMEOWNER))[0].invoice_number
    pdf = await stack.client().invoice_pdf(number)
    assert pdf.startswith(b"%PDF")
    assert pdf == stack.population.invoice_pdf(number)
    with pytest.raises(NotFound):
        await stack.client().invoice_pdf("12345")
    with pytest.raises(NotFound):
        await stack.client().invoice_pdf(number, customer_pid=pid_of(stack, OVERDUE))


async def test_invoice_pdf_stream(stack):
    number = stack.population.invoices_of(pid_of(stack, HOMEOWNER))[0].invoice_number
    stream = await stack.client().invoice_pdf_stream(number)
    assert stream.content_type == "application/pdf"
    chunks = [chunk async for chunk in stream.chunks()]
    assert b"".join(chunks) == stack.population.invoice_pdf(number)
    assert stream.content_length == len(b"".join(chunks))
    # Abandoning a stream gives the connection back.
    async with await stack.client().invoice_pdf_stream(number) as abandoned:
        assert abandoned.content_type == "application/pdf"


async def test_pdf_answer_that_is_not_a_pdf_is_malformed(stack):
    number = stack.population.invoices_of(pid_of(stack, HOMEOWNER))[0].invoice_number
    await stack.admin_json(
        "/_admin/garble", "POST", json={"operation": "getInvoicePdf", "mode": "not_json"}
    )
    with pytest.raises(MalformedResponse):
        await stack.client().invoice_pdf(number)
    with pytest.raises(MalformedResponse):
        await stack.client().invoice_pdf_stream(number)


@pytest.mark.parametrize("mode", ["truncated", "not_json", "wrong_shape"])
async def test_malformed_lookup_payload(stack, mode):
    number = stack.population.invoices_of(pid_of(stack, HOMEOWNER))[0].invoice_number
    await stack.admin_json(
        "/_admin/garble", "POST", json={"operation": "lookupInvoices", "mode": mode}
    )
    with pytest.raises(MalformedResponse):
        await stack.client().invoices_by_number([number])


@pytest.mark.parametrize("mode", ["truncated", "not_json", "wrong_shape"])
async def test_malformed_search_payload(stack, mode):
    await stack.admin_json(
        "/_admin/garble", "POST", json={"operation": "searchInvoices", "mode": mode}
    )
    with pytest.raises(MalformedResponse):
        await stack.client().invoices_for_customer(pid_of(stack, HOMEOWNER))


async def test_latency_is_a_timeout_after_retries(stack):
    stack.fault("searchInvoices", latency_ms=1500)
    with pytest.raises(SystemTimeout):
        await stack.client(deadline_s=0.5).invoices_for_customer(pid_of(stack, HOMEOWNER))
    assert stack.control.calls["searchInvoices"] == 3


async def test_server_error_is_a_remote_fault(stack):
    stack.fault("getInvoicePdf", error_rate=1.0)
    number = stack.population.invoices_of(pid_of(stack, HOMEOWNER))[0].invoice_number
    with pytest.raises(RemoteFault) as caught:
        await stack.client().invoice_pdf(number)
    assert caught.value.code == "internal_error"


async def test_unauthorized(stack):
    with pytest.raises(RemoteFault) as caught:
        await stack.client(password="nope").invoices_for_customer(pid_of(stack, HOMEOWNER))
    assert caught.value.code == "unauthorized"
    assert pid_of(stack, HOMEOWNER) not in str(caught.value)


async def test_outage_opens_the_breaker_and_it_recovers(stack):
    client = stack.client()
    pid = pid_of(stack, HOMEOWNER)
    stack.fault("*", outage=True)
    with pytest.raises(SystemUnavailable) as caught:
        await client.invoices_for_customer(pid)  # 3 attempts: reaches the threshold of 3
    assert not isinstance(caught.value, CircuitOpen)
    assert stack.resilience.breaker_state == "open"
    with pytest.raises(CircuitOpen):
        await client.invoices_for_customer(pid)
    assert stack.control.calls["searchInvoices"] == 3
    stack.control.clear_faults()
    await asyncio.sleep(0.4)  # past breaker_reset_s
    assert await client.invoices_for_customer(pid)
    assert stack.resilience.breaker_state == "closed"


async def test_ping(stack):
    await stack.client().ping()
    stack.fault("health", outage=True)
    with pytest.raises(SystemUnavailable):
        await stack.client().ping()


async def test_no_fodselsnummer_in_any_url_the_connector_requests(stack):
    client = stack.client()
    pid = pid_of(stack, HOMEOWNER)
    invoices = await client.invoices_for_customer(pid)
    numbers = [i.invoice_number for i in invoices]
    await client.invoices_by_number(numbers, customer_pid=pid)
    await client.invoice_pdf(numbers[0], customer_pid=pid)
    stream = await client.invoice_pdf_stream(numbers[0], customer_pid=pid)
    await stream.read()
    await client.ping()
    paths = await stack.admin_json("/_admin/requests")
    assert len(paths) >= 5
    assert not any(pid in path for path in paths)
    assert {
        "/api/v1/invoices/search",
        "/api/v1/invoices/lookup",
        f"/api/v1/invoices/{numbers[0]}/pdf",
    } <= set(paths)


async def test_slow_pdf_body_times_out(stack):
    number = stack.population.invoices_of(pid_of(stack, HOMEOWNER))[0].invoice_number
    # 10 pieces, 1 s apart: the whole body misses the 0.5 s deadline, and so does each gap.
    stack.fault("getInvoicePdf", slow_body_ms=10_000)
    with pytest.raises(SystemTimeout):
        await stack.client(
            resilience=type(stack.resilience)(
                "visma", type(stack.resilience.policy)(deadline_s=0.5, retries=0)
            )
        ).invoice_pdf(number)
    stream = await stack.client(deadline_s=0.5).invoice_pdf_stream(number)
    assert stream.content_type == "application/pdf"
    with pytest.raises(SystemTimeout):
        await stream.read()
