"""``AccessLogEntry`` and ``AccessLogFilter``: the citizen's access log in the graph."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from enum import Enum
from typing import Final
from zoneinfo import ZoneInfo

import strawberry

from kernel.i18n import Language
from kernel.partners import ClientRegistry
from schema.labels import Label, label
from schema.relay import BadUserInput
from stores import access_log as store

__all__ = ["AccessKind", "AccessLogEntry", "AccessLogFilter", "client_name", "criteria_of"]

OSLO: Final = ZoneInfo("Europe/Oslo")


@strawberry.enum(description="What kind of the citizen's data was read.")
class AccessKind(Enum):
    PROPERTY = strawberry.enum_value("PROPERTY", description="Properties and their meters.")
    CASE = strawberry.enum_value("CASE", description="Cases in the archive.")
    DOCUMENT = strawberry.enum_value("DOCUMENT", description="Documents of cases, and their files.")
    INVOICE = strawberry.enum_value("INVOICE", description="Invoices, and their PDFs.")


KIND_LABELS: Final = {
    AccessKind.PROPERTY: Label("Eiendom", "Eigedom", "Property"),
    AccessKind.CASE: Label("Sak", "Sak", "Case"),
    AccessKind.DOCUMENT: Label("Dokument", "Dokument", "Document"),
    AccessKind.INVOICE: Label("Faktura", "Faktura", "Invoice"),
}


def client_name(entry: store.AccessEntry, clients: ClientRegistry, language: Language) -> str:
    """The reading client's name in ``language``: Min side's or the partner catalogue's, else
    (a partner since removed from the catalogue) the name stored with the entry."""
    client = clients.get(entry.client_id)
    return client.name.in_language(language) if client is not None else entry.client_name


@strawberry.type(
    description="One request's reads of one kind of the citizen's data: who read what, when."
)
class AccessLogEntry:
    at: datetime = strawberry.field(description="When the data was read (Europe/Oslo).")
    client_id: str = strawberry.field(
        description="The OAuth client that read it (Min side's own, or a partner portal's)."
    )
    client_name: str = strawberry.field(
        description="Who read it: Min side or the partner portal, in the request's language."
    )
    kind: AccessKind
    kind_label: str = strawberry.field(description="The kind, in the request's language.")
    object_ids: list[strawberry.ID] = strawberry.field(
        description="Global ids of the objects read (use with node(id:))."
    )
    download: bool = strawberry.field(
        description="True when a file or invoice PDF was downloaded (the object is its "
        "document or invoice)."
    )

    @classmethod
    def from_entry(
        cls, entry: store.AccessEntry, clients: ClientRegistry, language: Language
    ) -> AccessLogEntry:
        kind = AccessKind(entry.kind.value)
        return cls(
            at=entry.at.astimezone(OSLO),
            client_id=entry.client_id,
            client_name=client_name(entry, clients, language),
            kind=kind,
            kind_label=label(KIND_LABELS, kind, language),
            object_ids=[strawberry.ID(object_id) for object_id in entry.object_ids],
            download=entry.download,
        )


@strawberry.input(description="Which access log entries to list; every given criterion holds.")
class AccessLogFilter:
    kinds: list[AccessKind] | None = strawberry.field(
        default=None, description="Only reads of these kinds."
    )
    from_: date | None = strawberry.field(
        default=None, name="from", description="Only reads on or after this day (Europe/Oslo)."
    )
    to: date | None = strawberry.field(
        default=None, description="Only reads on or before this day (Europe/Oslo)."
    )
    client_id: str | None = strawberry.field(
        default=None, description="Only reads by this client (an AccessLogEntry.clientId)."
    )


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), OSLO)


def criteria_of(given: AccessLogFilter | None) -> store.AccessCriteria:
    """The store's criteria of a filter; BAD_USER_INPUT for a range that ends before it
    starts."""
    if given is None:
        return store.AccessCriteria()
    if given.from_ is not None and given.to is not None and given.from_ > given.to:
        raise BadUserInput("from must not be after to", "filter.from")
    return store.AccessCriteria(
        kinds=(
            frozenset(store.AccessKind(kind.name) for kind in given.kinds)
            if given.kinds is not None
            else None
        ),
        since=_midnight(given.from_) if given.from_ is not None else None,
        until=_midnight(given.to + timedelta(days=1)) if given.to is not None else None,
        client_id=given.client_id,
    )
