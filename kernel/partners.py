"""The partner catalogue, and the clients the API answers: Min side itself and its partners.

A partner portal (a national or regional portal that embeds a citizen's invoices or cases)
calls the API with the citizen's ID-porten access token issued to *its own* client: the
token's ``client_id`` claim picks the partner's profile here, and a token of a client that is
neither Min side nor a listed partner is refused. Each partner has:

- ``client_id`` and a ``name`` in nb, nn and en (shown to the citizen, e.g. in the access log);
- its ``scopes``: which parts of the graph it may read or write (:class:`Scope`);
- the browser ``origins`` its pages call from (CORS; never with credentials);
- optionally ``trusted_documents``: a manifest (``{"<sha256>": "<query>"}``, relative to the
  catalogue file) of the only documents it may run;
- optionally its own ``rate_limit`` (query cost per window).

Loaded and validated once at start-up from ``MINSIDE_PARTNERS_FILE``; a problem stops start-up
naming the file and the entry. Min side's own client (the browser session, or a bearer token
issued to ``MINSIDE_IDPORTEN_CLIENT_ID``) has every scope.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from kernel.config_files import duplicates, load_toml_model
from kernel.external_services import LocalizedText
from kernel.settings import SettingsError

__all__ = [
    "ALL_SCOPES",
    "Client",
    "ClientRegistry",
    "Partner",
    "PartnerCatalogue",
    "PartnerRateLimit",
    "Scope",
    "load_partners",
]

VARIABLE = "MINSIDE_PARTNERS_FILE"


class Scope(StrEnum):
    """A part of the graph a client may use (schema.scopes says which fields need which)."""

    PROPERTIES = "properties"
    CASES = "cases"
    DOCUMENTS = "documents"
    INVOICES = "invoices"
    SUBMISSIONS_READ = "submissions:read"
    SUBMISSIONS_WRITE = "submissions:write"


ALL_SCOPES: frozenset[Scope] = frozenset(Scope)
MIN_SIDE_NAME = LocalizedText(nb="Min side", nn="Mi side", en="Min side")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_origin(value: str) -> str:
    """``scheme://host[:port]`` exactly as a browser sends it in ``Origin``; https, or http
    on a loopback host (local development)."""
    parts = urlsplit(value)
    host = parts.hostname or ""
    if (
        parts.scheme not in ("https", "http")
        or not host
        or parts.path
        or parts.query
        or parts.fragment
        or parts.username is not None
        or value != value.lower()
    ):
        raise ValueError(
            f"{value!r} is not an origin (lower-case scheme://host[:port], no path or slash)"
        )
    if parts.scheme == "http" and not _is_loopback(host):
        raise ValueError(f"{value!r}: origins must be https (http only on a loopback host)")
    return value


class PartnerRateLimit(BaseModel):
    """A partner's own budget: at most ``cost`` (schema.cost's query cost) per ``window_s``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    cost: int = Field(ge=1, le=100_000_000)
    window_s: int = Field(ge=1, le=86_400)


class Partner(BaseModel):
    """One partner portal's profile."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    client_id: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")
    name: LocalizedText
    scopes: tuple[Scope, ...] = Field(min_length=1)
    origins: tuple[str, ...] = ()
    trusted_documents: Path | None = None
    rate_limit: PartnerRateLimit | None = None

    @field_validator("scopes")
    @classmethod
    def _distinct_scopes(cls, scopes: tuple[Scope, ...]) -> tuple[Scope, ...]:
        repeated = duplicates([scope.value for scope in scopes])
        if repeated:
            raise ValueError(f"scopes listed twice: {repeated}")
        return scopes

    @field_validator("origins")
    @classmethod
    def _valid_origins(cls, origins: tuple[str, ...]) -> tuple[str, ...]:
        for origin in origins:
            check_origin(origin)
        repeated = duplicates(list(origins))
        if repeated:
            raise ValueError(f"origins listed twice: {repeated}")
        return origins


class _CatalogueFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    partner: list[Partner] = Field(default_factory=list)


def _locate(raw: dict[str, Any], loc: Any) -> str:
    """``partner 'demo-x': scopes.0`` instead of ``partner.0.scopes.0``."""
    parts = list(loc)
    if len(parts) >= 2 and parts[0] == "partner" and isinstance(parts[1], int):
        entries = raw.get("partner")
        entry = entries[parts[1]] if isinstance(entries, list) and parts[1] < len(entries) else {}
        client_id = entry.get("client_id") if isinstance(entry, dict) else None
        rest = ".".join(str(part) for part in parts[2:])
        label = f"partner {client_id!r}" if isinstance(client_id, str) else f"partner #{parts[1]}"
        return f"{label}: {rest}" if rest else label
    return ".".join(str(part) for part in parts)


@dataclass(frozen=True)
class PartnerCatalogue:
    """The validated partners, in file order; ``trusted_documents`` paths made absolute."""

    partners: tuple[Partner, ...]

    def by_client_id(self, client_id: str) -> Partner | None:
        for partner in self.partners:
            if partner.client_id == client_id:
                return partner
        return None

    @property
    def origins(self) -> tuple[str, ...]:
        """Every partner's origins (CORS), each once, in file order."""
        return tuple(dict.fromkeys(o for partner in self.partners for o in partner.origins))


def load_partners(path: Path, *, own_client_id: str | None = None) -> PartnerCatalogue:
    """Read and validate the catalogue; a :class:`SettingsError` names the file and the entry.

    ``own_client_id`` (Min side's own ``MINSIDE_IDPORTEN_CLIENT_ID``) may not be a partner.
    """
    parsed = load_toml_model(path, _CatalogueFile, VARIABLE, _locate)
    repeated = duplicates([partner.client_id for partner in parsed.partner])
    if repeated:
        raise SettingsError(f"{VARIABLE}: {path}: duplicate partner client_ids {repeated}")
    partners: list[Partner] = []
    for partner in parsed.partner:
        where = f"{VARIABLE}: {path}: partner {partner.client_id!r}"
        if own_client_id is not None and partner.client_id == own_client_id:
            raise SettingsError(f"{where}: is Min side's own client (MINSIDE_IDPORTEN_CLIENT_ID)")
        if partner.trusted_documents is not None:
            manifest = (path.parent / partner.trusted_documents).resolve()
            if not manifest.is_file():
                raise SettingsError(f"{where}: trusted_documents: no file {manifest}")
            partner = partner.model_copy(update={"trusted_documents": manifest})
        partners.append(partner)
    return PartnerCatalogue(tuple(partners))


@dataclass(frozen=True)
class Client:
    """The client a request comes through: Min side itself (``partner`` is None) or a partner.

    ``client_id`` and ``name`` say who read the data (e.g. for the citizen's access log:
    ``viewer.client.name.in_language(language)``); ``scopes`` what it may use.
    """

    client_id: str
    name: LocalizedText
    scopes: frozenset[Scope]
    partner: Partner | None = None

    @property
    def is_partner(self) -> bool:
        return self.partner is not None

    def allows(self, scope: Scope) -> bool:
        return scope in self.scopes

    @classmethod
    def min_side(cls, client_id: str) -> Client:
        """Min side's own client: every scope."""
        return cls(client_id=client_id, name=MIN_SIDE_NAME, scopes=ALL_SCOPES)

    @classmethod
    def for_partner(cls, partner: Partner) -> Client:
        return cls(
            client_id=partner.client_id,
            name=partner.name,
            scopes=frozenset(partner.scopes),
            partner=partner,
        )


class ClientRegistry:
    """Who a token's ``client_id`` is: Min side, one of the partners, or nobody we know."""

    def __init__(self, own_client_id: str, partners: Iterable[Partner] = ()) -> None:
        self.own = Client.min_side(own_client_id)
        self._clients = {self.own.client_id: self.own} | {
            partner.client_id: Client.for_partner(partner) for partner in partners
        }

    def get(self, client_id: str) -> Client | None:
        """The client, or None for one that is neither Min side nor a listed partner."""
        return self._clients.get(client_id)
