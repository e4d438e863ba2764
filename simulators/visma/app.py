"""Simulator of the Visma Enterprise invoice API (``contracts/visma/visma-invoices.v1.yaml``).

Lists a customer's invoices by a ``POST`` with the fødselsnummer in the body (never in a URL),
looks invoices up by number (one or a batch) and serves each as a real PDF; the admin surface
adds ``POST /_admin/invoices/{number}/paid`` (what the ERP does when a payment arrives) and
``POST /_admin/customer-filter`` (``{"enabled": false}``: the by-number reads ignore the
customer, like a misconfigured ERP, so a gateway relying on that filter alone is caught).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from contracts import openapi_document
from simulators.admin import SimulatorControl
from simulators.jsonapi import JsonApi, ProblemError, problem, read_json
from simulators.population import Population
from simulators.population.errors import InvalidInputError, NotFoundError
from simulators.population.models import Invoice, InvoiceStatus
from simulators.visma.serialize import invoice_json

__all__ = ["MAX_BATCH_SIZE", "OPENAPI_PATH", "build_app"]

OPENAPI_PATH = openapi_document("visma")
MAX_BATCH_SIZE = 500
CUSTOMER = re.compile(r"^[0-9]{11}$")
FAKTURANUMMER = re.compile(r"^[A-Za-z0-9-]{1,40}$")
STATUSES = frozenset(status.value for status in InvoiceStatus)
SEARCH_FIELDS = frozenset({"customerIdentifier", "status", "fromDate", "toDate"})
LOOKUP_FIELDS = frozenset({"fakturanummer", "customerIdentifier"})


class InvoiceLedger:
    """The operations of the invoice API over a population; one per app."""

    def __init__(self, population: Population) -> None:
        self.population = population
        # False: lookup, invoice and PDF by number ignore the customer (misconfigured ERP).
        self.customer_filter = True

    def restore(self) -> None:
        """Back to a correctly configured ERP (with the population's state reset)."""
        self.customer_filter = True

    async def set_customer_filter(self, request: Request) -> Response:
        """Admin: switch the customer filter of the by-number reads on or off."""
        try:
            body = await read_json(request)
        except ProblemError:
            body = None
        enabled = body.get("enabled") if isinstance(body, dict) else None
        if not isinstance(enabled, bool):
            return problem(422, "invalid_request", "enabled must be true or false")
        self.customer_filter = enabled
        return JSONResponse({"customerFilter": self.customer_filter})

    async def search(self, request: Request) -> Response:
        body = await read_json(request)
        if not isinstance(body, dict) or set(body) - SEARCH_FIELDS:
            raise ProblemError(422, "invalid_request", "Unknown search field")
        customer = _customer(body.get("customerIdentifier"), required=True)
        assert customer is not None
        statuses = body.get("status")
        if statuses is not None and (
            not isinstance(statuses, list) or not set(statuses) <= STATUSES
        ):
            raise ProblemError(422, "invalid_request", "status must list known statuses")
        from_date = _date(body.get("fromDate"), "fromDate")
        to_date = _date(body.get("toDate"), "toDate")
        invoices = [
            invoice_json(invoice)
            for invoice in self.population.invoices_of(customer)
            if (statuses is None or invoice.status.value in statuses)
            and (from_date is None or invoice.issued_on >= from_date)
            and (to_date is None or invoice.issued_on <= to_date)
        ]
        return JSONResponse({"fakturaer": invoices})

    async def lookup(self, request: Request) -> Response:
        body = await read_json(request)
        if not isinstance(body, dict) or set(body) - LOOKUP_FIELDS:
            raise ProblemError(422, "invalid_request", "Unknown lookup field")
        numbers = body.get("fakturanummer")
        if not isinstance(numbers, list) or not numbers:
            raise ProblemError(422, "invalid_request", "fakturanummer must be a non-empty array")
        if len(numbers) > MAX_BATCH_SIZE:
            raise ProblemError(
                413, "batch_too_large", f"At most {MAX_BATCH_SIZE} numbers per request"
            )
        for number in numbers:
            if not isinstance(number, str) or not FAKTURANUMMER.match(number):
                raise ProblemError(422, "invalid_fakturanummer", "Not an invoice number")
        customer = _customer(body.get("customerIdentifier"), required=False)
        results: list[dict[str, Any]] = []
        for number in numbers:
            invoice = self._invoice(number, customer)
            if invoice is None:
                results.append({"fakturanummer": number, "found": False})
            else:
                results.append(
                    {"fakturanummer": number, "found": True, "faktura": invoice_json(invoice)}
                )
        return JSONResponse({"results": results})

    async def get_invoice(self, request: Request) -> Response:
        invoice = self._invoice_for_request(request)
        return JSONResponse(invoice_json(invoice))

    async def get_pdf(self, request: Request) -> Response:
        invoice = self._invoice_for_request(request)
        pdf = self.population.invoice_pdf(invoice.invoice_number)
        return Response(
            pdf,
            media_type="application/pdf",
            headers={
                "Content-Disposition": f'inline; filename="faktura-{invoice.invoice_number}.pdf"'
            },
        )

    async def mark_paid(self, request: Request) -> Response:
        """Admin: the ERP registers the full payment of an invoice."""
        number: str = request.path_params["fakturanummer"]
        try:
            invoice = self.population.mark_paid(number)
        except NotFoundError:
            return problem(404, "not_found", "No such invoice")
        except InvalidInputError:
            return problem(422, "invalid_request", "The invoice cannot be paid")
        return JSONResponse(invoice_json(invoice))

    def _invoice_for_request(self, request: Request) -> Invoice:
        number: str = request.path_params["fakturanummer"]
        customer = _customer(request.headers.get("customer-identifier"), required=False)
        invoice = self._invoice(number, customer)
        if invoice is None:
            raise ProblemError(404, "not_found", "No such invoice")
        return invoice

    def _invoice(self, number: str, customer: str | None) -> Invoice | None:
        invoice = self.population.invoice_by_number(number)
        if not self.customer_filter:
            return invoice
        if invoice is None or (customer is not None and invoice.customer_pid != customer):
            return None
        return invoice


def _customer(value: object, *, required: bool) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or not CUSTOMER.match(value):
        # Never echo the value: it is (meant to be) a fødselsnummer.
        raise ProblemError(422, "invalid_customer", "customerIdentifier must be 11 digits")
    return value


def _date(value: object, field: str) -> date | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ProblemError(422, "invalid_request", f"{field} must be an ISO date")


def build_app(
    population: Population, control: SimulatorControl, *, username: str, password: str
) -> Starlette:
    """The Visma invoice API simulator as a Starlette app (see the module docstring)."""
    api = JsonApi(control, username=username, password=password, openapi_path=OPENAPI_PATH)
    ledger = InvoiceLedger(population)
    routes = [
        *api.common_routes(),
        Route(
            "/api/v1/invoices/search",
            api.operation("searchInvoices", ledger.search),
            methods=["POST"],
        ),
        Route(
            "/api/v1/invoices/lookup",
            api.operation("lookupInvoices", ledger.lookup),
            methods=["POST"],
        ),
        Route(
            "/api/v1/invoices/{fakturanummer}",
            api.operation("getInvoice", ledger.get_invoice),
            methods=["GET"],
        ),
        Route(
            "/api/v1/invoices/{fakturanummer}/pdf",
            api.operation("getInvoicePdf", ledger.get_pdf),
            methods=["GET"],
        ),
        api.reset_route(on_state_reset=ledger.restore),
        *control.admin_routes(
            [
                *api.admin_extras(),
                Route("/_admin/invoices/{fakturanummer}/paid", ledger.mark_paid, methods=["POST"]),
                Route("/_admin/customer-filter", ledger.set_customer_filter, methods=["POST"]),
            ]
        ),
    ]
    return Starlette(routes=routes, middleware=[api.middleware()])
