"""The fields this domain adds to ``Property`` (the type is composed in schema/property/)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from resolvers.context import Context
from resolvers.invoice.invoices import property_invoices
from schema.invoice.types import Invoice
from schema.relay import Connection, First, check_page_size, paginate


def _matrikkelnummer_text(owner: object) -> str:
    # The Property type keeps its matrikkelnummer either as text or as a structured value
    # whose str() (or .text) is the "3030-12/45/0/0" form.
    value = getattr(owner, "matrikkelnummer", None)
    text = getattr(value, "text", None)
    return text if isinstance(text, str) else str(value)


@strawberry.type
class PropertyInvoiceFields:
    """Mixin of ``Property``: the invoices for this property."""

    @strawberry.field(
        description="The citizen's invoices for this property, newest issued first. Null "
        "(with a SOURCE_* error) when the invoice system does not answer."
    )
    async def invoices(
        self,
        info: Info[Context, None],
        first: First = None,
        after: str | None = None,
    ) -> Connection[Invoice] | None:
        check_page_size(first)
        # The same per-request fetch as viewer.invoices: one Visma call for every property.
        records = await property_invoices(info.context, _matrikkelnummer_text(self))
        return paginate([Invoice.from_record(r) for r in records], first, after)
