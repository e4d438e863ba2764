"""Per-request dataloaders of Mine faktura (created through ``Context.loader``).

The viewer's invoice list is one Visma search per request, however many fields need it
(``viewer.invoices``, every ``Property.invoices`` and every ``node(id:)`` of an invoice, which
is found in that list: see :func:`resolvers.invoice.invoices.viewer_invoice`).
"""

from __future__ import annotations

from collections.abc import Sequence

from connectors.visma import Invoice
from connectors.visma.client import VismaClient
from resolvers.loaders import RequestLoader
from resolvers.read_cache import CachePolicy


class InvoicesByCustomerLoader(RequestLoader[str, list[Invoice]]):
    """A customer's (the viewer's) whole invoice list, keyed by the pid, unfiltered.

    Unfiltered on purpose: every filter is applied in the gateway, so differently filtered
    fields of one query still share the single search call.
    """

    system = "visma"
    cache_policy = CachePolicy("visma.invoices", ttl_s=60)

    async def fetch(self, pids: Sequence[str]) -> list[list[Invoice]]:
        visma = self.context.services.connectors.get(VismaClient)
        # Only ever one key (the viewer) per request; a loop keeps the contract general.
        return [await self.call(visma.invoices_for_customer(pid)) for pid in pids]
