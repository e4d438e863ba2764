"""``InvoiceFilter``: which of the viewer's invoices to list."""

from __future__ import annotations

from datetime import date

import strawberry

from resolvers.invoice.invoices import InvoiceCriteria
from schema.invoice.types import InvoiceStatus
from schema.relay import BadUserInput


@strawberry.input(description="Filter the citizen's invoices; all given parts must hold.")
class InvoiceFilter:
    statuses: list[InvoiceStatus] | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Only invoices with one of these statuses."
    )
    issued_from: date | None = strawberry.field(
        default=None, description="Only invoices issued on or after this date."
    )
    issued_to: date | None = strawberry.field(
        default=None, description="Only invoices issued on or before this date."
    )
    unpaid_only: bool | None = strawberry.field(
        default=None,
        description="Only invoices with something left to pay (unpaid, overdue or in debt "
        "collection).",
    )

    def criteria(self) -> InvoiceCriteria:
        """The filter as resolver criteria; BAD_USER_INPUT when the date range is reversed."""
        if (
            self.issued_from is not None
            and self.issued_to is not None
            and self.issued_from > self.issued_to
        ):
            raise BadUserInput("issuedFrom must not be after issuedTo", "filter")
        return InvoiceCriteria(
            statuses=None if self.statuses is None else frozenset(self.statuses),
            issued_from=self.issued_from,
            issued_to=self.issued_to,
            unpaid_only=bool(self.unpaid_only),
        )
