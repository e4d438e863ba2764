"""Async client of the Visma Enterprise invoice API (``contracts/visma/``).

The customer's fødselsnummer only ever travels in a request body or header, never in a URL:
URLs end up in access logs, proxies and traces.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from datetime import date
from typing import Any

from connectors.errors import MalformedResponse, NotFound
from connectors.http import BinaryStream, JsonResponse
from connectors.json_connector import JsonConnector
from connectors.shapes import ShapeReader
from connectors.visma.models import Invoice, InvoiceLine, InvoiceStatus

__all__ = ["VismaClient"]

SYSTEM = "visma"
FAKTURANUMMER = re.compile(r"^[A-Za-z0-9-]{1,40}$")
PID = re.compile(r"^[0-9]{11}$")
PDF_TYPE = "application/pdf"

OP_SEARCH = "searchInvoices"
OP_LOOKUP = "lookupInvoices"
OP_PDF = "getInvoicePdf"


class VismaClient(JsonConnector):
    """Typed client of the invoice API; every call is a read and is retried by ``resilience``.

    The constructor and :meth:`ping` are :class:`~connectors.json_connector.JsonConnector`'s.
    """

    system = SYSTEM

    async def invoices_for_customer(
        self,
        pid: str,
        *,
        statuses: Collection[InvoiceStatus] | None = None,
        from_date: date | None = None,
        to_date: date | None = None,
    ) -> list[Invoice]:
        """The customer's invoices, newest first, optionally filtered (issue date inclusive)."""
        if not PID.match(pid):
            # Without echoing it: it is meant to be a fødselsnummer.
            raise ValueError("pid must be 11 digits")
        body: dict[str, Any] = {"customerIdentifier": pid}
        if statuses is not None:
            body["status"] = sorted(status.value for status in statuses)
        if from_date is not None:
            body["fromDate"] = from_date.isoformat()
        if to_date is not None:
            body["toDate"] = to_date.isoformat()

        def parse(reader: ShapeReader, response: JsonResponse) -> list[Invoice]:
            found = reader.objects(reader.obj(response.body, "response"), "fakturaer", "faktura")
            return [_invoice(reader, invoice) for invoice in found]

        return await self._request(
            OP_SEARCH, "POST", "/api/v1/invoices/search", parse, idempotent=True, body=body
        )

    async def invoices_by_number(
        self, numbers: Sequence[str], *, customer_pid: str | None = None
    ) -> list[Invoice | None]:
        """Invoices aligned with ``numbers``; None where there is no such invoice.

        With ``customer_pid`` the service reports other customers' invoices as missing, so an
        id from a URL cannot reach someone else's invoice. Duplicates are asked for once, and
        more numbers than the batch size are split into concurrent calls.
        """

        async def fetch(chunk: list[str]) -> dict[str, Invoice | None]:
            return await self._lookup_chunk(chunk, customer_pid)

        return await self._lookup(numbers, fetch, askable=_is_fakturanummer)

    async def invoice_pdf(self, number: str, *, customer_pid: str | None = None) -> bytes:
        """The invoice's PDF; :class:`~connectors.errors.NotFound` if there is none.

        The whole body is read inside the deadline; use :meth:`invoice_pdf_stream` to pass a
        large file through without holding it in memory.
        """

        async def call() -> bytes:
            stream = await self._open_pdf(number, customer_pid)
            return await stream.read()

        return await self._resilience.call(OP_PDF, call, idempotent=True)

    async def invoice_pdf_stream(
        self, number: str, *, customer_pid: str | None = None
    ) -> BinaryStream:
        """The invoice's PDF as an open stream (``content_type``, ``chunks()``, ``aclose()``).

        The deadline, retries and breaker cover getting the response headers; the caller then
        consumes ``chunks()`` (which releases the connection at the end) or calls ``aclose()``.
        A stall longer than the policy's deadline between two chunks raises
        :class:`~connectors.errors.SystemTimeout` from ``chunks()``.
        """
        return await self._resilience.call(
            OP_PDF, lambda: self._open_pdf(number, customer_pid), idempotent=True
        )

    async def _open_pdf(self, number: str, customer_pid: str | None) -> BinaryStream:
        if not FAKTURANUMMER.match(number):
            # Could not be an invoice, and must not be allowed to change the URL path.
            raise NotFound("malformed invoice number", system=SYSTEM, operation=OP_PDF)
        headers = {} if customer_pid is None else {"Customer-Identifier": customer_pid}
        stream = await self._http.open_binary(
            OP_PDF,
            f"/api/v1/invoices/{number}/pdf",
            accept=PDF_TYPE,
            headers=headers,
            # The stream outlives the call's deadline; a stall between chunks gets the same one.
            chunk_timeout_s=self._resilience.policy.deadline_s,
        )
        if stream.content_type != PDF_TYPE:
            await stream.aclose()
            raise MalformedResponse("answer is not a PDF", system=SYSTEM, operation=OP_PDF)
        return stream

    async def _lookup_chunk(
        self, numbers: list[str], customer_pid: str | None
    ) -> dict[str, Invoice | None]:
        body: dict[str, Any] = {"fakturanummer": numbers}
        if customer_pid is not None:
            body["customerIdentifier"] = customer_pid

        def parse(reader: ShapeReader, response: JsonResponse) -> dict[str, Invoice | None]:
            return reader.found_results(
                response.body,
                "fakturanummer",
                numbers,
                lambda entry: _invoice(reader, reader.obj(entry.get("faktura"), "faktura")),
            )

        return await self._request(
            OP_LOOKUP, "POST", "/api/v1/invoices/lookup", parse, idempotent=True, body=body
        )


def _is_fakturanummer(number: str) -> bool:
    return FAKTURANUMMER.match(number) is not None


def _invoice(reader: ShapeReader, data: Mapping[str, Any]) -> Invoice:
    pdf = reader.obj(data.get("faktura"), "faktura.faktura")
    return Invoice(
        invoice_number=reader.text(data, "fakturanummer"),
        title=reader.text(data, "tittel"),
        issued_on=reader.day(data, "fakturaDato"),
        due_on=reader.day(data, "forfallDato"),
        status=reader.choice(data, "status", InvoiceStatus),
        payable=reader.flag(data, "kanBetales"),
        corrected=reader.flag(data, "korrigert"),
        sent_to_external=reader.flag(data, "sendtTilEkstern"),
        overdue=reader.flag(data, "forfalt"),
        recipient=reader.text(data, "fakturaMottaker"),
        pay_to=reader.text(data, "betalesTil"),
        amount=reader.decimal(data, "belop"),
        paid_amount=reader.decimal(data, "innbetaltBelop"),
        fee=reader.opt_decimal(data, "gebyr"),
        interest=reader.opt_decimal(data, "renter"),
        total=reader.decimal(data, "totalbelop"),
        outstanding=reader.decimal(data, "utestaendeBelop"),
        credited_amount=reader.opt_decimal(data, "kreditertBelop"),
        account_number=reader.opt_text(data, "kontonummer"),
        kid=reader.opt_text(data, "kid"),
        channel=reader.opt_text(data, "forsendelseskanal"),
        description=reader.opt_text(data, "beskrivelse"),
        paid_on=reader.opt_day(data, "betaltDato"),
        matrikkelnummer=reader.opt_text(data, "matrikkelnummer"),
        pdf_path=reader.text(pdf, "url"),
        lines=tuple(
            InvoiceLine(
                description=reader.text(line, "beskrivelse"),
                quantity=reader.decimal(line, "antall"),
                unit=reader.text(line, "enhet"),
                unit_price=reader.decimal(line, "enhetspris"),
                amount=reader.decimal(line, "belop"),
                vat_rate=reader.decimal(line, "mvaSats"),
            )
            for line in reader.objects(data, "fakturalinjer", "fakturalinje")
        ),
    )
