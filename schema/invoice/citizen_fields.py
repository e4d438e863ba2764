"""The fields this domain adds to ``Citizen`` (the type is composed in schema/citizen/types.py)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

import schema.invoice.nodes  # noqa: F401  (registers Invoice for node(id:))
from resolvers.context import Context
from resolvers.invoice.invoices import viewer_invoices
from schema.invoice.filters import InvoiceFilter
from schema.invoice.types import Invoice
from schema.relay import Connection, First, check_page_size, paginate


@strawberry.type
class CitizenInvoiceFields:
    """Mixin of ``Citizen``: Mine faktura."""

    @strawberry.field(
        description="Mine faktura: the citizen's invoices, newest issued first. Null (with a "
        "SOURCE_* error) when the invoice system does not answer."
    )
    async def invoices(
        self,
        info: Info[Context, None],
        filter: InvoiceFilter | None = None,
        first: First = None,
        after: str | None = None,
    ) -> Connection[Invoice] | None:
        # Bad arguments are reported before anything is fetched.
        criteria = None if filter is None else filter.criteria()
        check_page_size(first)
        records = await viewer_invoices(info.context, criteria)
        return paginate([Invoice.from_record(r) for r in records], first, after)
