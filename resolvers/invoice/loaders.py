"""Per-request dataloaders of Mine faktura (created through ``Context.loader``).

The viewer's invoice list is one Visma search per request, however many fields need it
(``viewer.invoices`` and every ``Property.invoices``); single invoices by number are looked up
in batches, restricted to the viewer as customer so a foreign number answers as missing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from aiodataloader import DataLoader

from connectors.visma import Invoice
from resolvers.context import Context
from resolvers.errors import SourceError, from_source

SYSTEM = "visma"


class InvoicesByCustomerLoader(DataLoader[str, list[Invoice]]):
    """A customer's (the viewer's) whole invoice list, keyed by the pid, unfiltered.

    Unfiltered on purpose: every filter is applied in the gateway, so differently filtered
    fields of one query still share the single search call.
    """

    def __init__(self, context: Context) -> None:
        super().__init__()
        self.context = context

    async def batch_load_fn(  # type: ignore[override]
        self, pids: Sequence[str]
    ) -> list[list[Invoice] | SourceError]:
        visma = self.context.services.connectors.visma
        outcomes = await asyncio.gather(
            *(
                from_source(self.context.sources, SYSTEM, visma.invoices_for_customer(pid))
                for pid in pids
            ),
            return_exceptions=True,
        )
        results: list[list[Invoice] | SourceError] = []
        for outcome in outcomes:
            # A failure is returned, not raised: aiodataloader then keeps it for the request,
            # so a system that is down is asked once, not once per field.
            if isinstance(outcome, SourceError | list):
                results.append(outcome)
            else:
                raise outcome
        return results


class InvoiceByNumberLoader(DataLoader[str, Invoice | None]):
    """The viewer's invoices by number; None for a missing one or someone else's."""

    def __init__(self, context: Context) -> None:
        super().__init__()
        self.context = context

    async def batch_load_fn(self, numbers: Sequence[str]) -> list[Invoice | None]:
        viewer = self.context.viewer
        if viewer is None:
            return [None for _ in numbers]
        visma = self.context.services.connectors.visma
        return await from_source(
            self.context.sources,
            SYSTEM,
            visma.invoices_by_number(list(numbers), customer_pid=viewer.pid),
        )
