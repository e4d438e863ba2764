"""``node(id:)`` for ``Invoice``: only the viewer's own invoices are found."""

from __future__ import annotations

from strawberry.types import Info

from resolvers.context import Context
from resolvers.invoice.invoices import viewer_invoice
from schema.invoice.types import Invoice
from schema.node import register_node


@register_node("Invoice")
async def invoice_node(info: Info[Context, None], key: str) -> Invoice | None:
    """The viewer's invoice numbered `key`, only if it is in the viewer's own invoice list."""
    record = await viewer_invoice(info.context, key)
    return None if record is None else Invoice.from_record(record)
