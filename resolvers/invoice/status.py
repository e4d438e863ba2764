"""The status a citizen sees: the ERP's status, with an unpaid invoice past due as OVERDUE."""

from __future__ import annotations

from enum import Enum

from connectors.visma import Invoice, InvoiceStatus


class DisplayStatus(Enum):
    """An invoice's status as Min side shows it (values are the GraphQL enum names)."""

    PAID = "PAID"
    UNPAID = "UNPAID"
    OVERDUE = "OVERDUE"
    DEBT_COLLECTION_NOTICE = "DEBT_COLLECTION_NOTICE"
    SENT_TO_DEBT_COLLECTION = "SENT_TO_DEBT_COLLECTION"
    CREDITED = "CREDITED"


_FROM_ERP = {
    InvoiceStatus.PAID: DisplayStatus.PAID,
    InvoiceStatus.UNPAID: DisplayStatus.UNPAID,
    InvoiceStatus.DEBT_COLLECTION_NOTICE: DisplayStatus.DEBT_COLLECTION_NOTICE,
    InvoiceStatus.SENT_TO_DEBT_COLLECTION: DisplayStatus.SENT_TO_DEBT_COLLECTION,
    InvoiceStatus.CREDITED: DisplayStatus.CREDITED,
}

# Something is still to pay on these (the "unpaidOnly" convenience filter).
UNPAID_STATUSES = frozenset(
    {
        DisplayStatus.UNPAID,
        DisplayStatus.OVERDUE,
        DisplayStatus.DEBT_COLLECTION_NOTICE,
        DisplayStatus.SENT_TO_DEBT_COLLECTION,
    }
)


def display_status(invoice: Invoice) -> DisplayStatus:
    """The invoice's status for the citizen.

    Overdue is the ERP's own judgement (``forfalt``), not the gateway's clock: the ERP knows
    about payments still being booked and is the one that sends reminders.
    """
    status = _FROM_ERP[invoice.status]
    if status is DisplayStatus.UNPAID and invoice.overdue:
        return DisplayStatus.OVERDUE
    return status
