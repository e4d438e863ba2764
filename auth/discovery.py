"""The issuer's OpenID Connect discovery document: fetched with the app's HTTP session, cached.

With a shared :class:`~auth.metadata.MetadataStore` (Redis, many workers) the document is read
from there first and written back after a fetch; each worker keeps its copy for a short while
(``LOCAL_MAX_AGE_S``) so a token does not cost a Redis round trip.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from auth.clock import Clock, system_clock
from auth.errors import IssuerUnavailable
from auth.metadata import MetadataStore

log = logging.getLogger(__name__)

WELL_KNOWN = "/.well-known/openid-configuration"
FETCH_TIMEOUT_S = 5.0
# With a shared store, how long a worker serves its own copy before looking there again.
LOCAL_MAX_AGE_S = 60.0


@dataclass(frozen=True)
class IssuerMetadata:
    """The parts of the discovery document the gateway uses."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    end_session_endpoint: str | None

    @classmethod
    def from_document(cls, document: dict[str, Any], expected_issuer: str) -> IssuerMetadata:
        """Check and pick the fields; the ``issuer`` must be the one configured (OIDC §4.3)."""
        issuer = document.get("issuer")
        if not isinstance(issuer, str) or issuer.rstrip("/") != expected_issuer.rstrip("/"):
            raise IssuerUnavailable("discovery document names a different issuer")
        fields: dict[str, str] = {}
        for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            value = document.get(name)
            if not isinstance(value, str) or not value:
                raise IssuerUnavailable(f"discovery document lacks {name}")
            _check_endpoint(name, value, issuer)
            fields[name] = value
        end_session = document.get("end_session_endpoint")
        if isinstance(end_session, str):
            _check_endpoint("end_session_endpoint", end_session, issuer)
        return cls(
            issuer=issuer,
            authorization_endpoint=fields["authorization_endpoint"],
            token_endpoint=fields["token_endpoint"],
            jwks_uri=fields["jwks_uri"],
            end_session_endpoint=end_session if isinstance(end_session, str) else None,
        )


def _check_endpoint(name: str, url: str, issuer: str) -> None:
    """Refuse an endpoint that is not the issuer's: where keys are fetched, codes and client
    assertions sent and browsers redirected must not be something a planted or tampered
    document chose.

    The endpoint's scheme and port are the issuer's, and its host is the issuer's host or a
    subdomain of it (ID-porten: issuer ``https://idporten.no``, token and JWKS there, login
    and logout on ``login.idporten.no``). Plain http only when the issuer itself is http (the
    local stand-in).
    """
    issuer_url, endpoint = urlsplit(issuer), urlsplit(url)
    issuer_host = (issuer_url.hostname or "").lower()
    try:
        issuer_port, endpoint_port = issuer_url.port, endpoint.port
    except ValueError:
        raise IssuerUnavailable(f"discovery document's {name} is not a valid URL") from None
    host = (endpoint.hostname or "").lower()
    default_port = {"https": 443, "http": 80}
    if (
        endpoint.scheme != issuer_url.scheme
        or endpoint.scheme not in default_port
        or not issuer_host
        or not (host == issuer_host or host.endswith("." + issuer_host))
        or (endpoint_port or default_port[endpoint.scheme])
        != (issuer_port or default_port[issuer_url.scheme])
        or endpoint.username is not None
        or endpoint.password is not None
    ):
        raise IssuerUnavailable(f"discovery document's {name} is not on the issuer's origin")


async def fetch_json(http: aiohttp.ClientSession, url: str, what: str) -> dict[str, Any]:
    """GET a JSON object from the issuer, or raise :class:`IssuerUnavailable`."""
    try:
        async with http.get(
            url,
            timeout=aiohttp.ClientTimeout(total=FETCH_TIMEOUT_S),
            headers={"Accept": "application/json"},
        ) as response:
            if response.status != 200:
                raise IssuerUnavailable(f"{what} answered HTTP {response.status}")
            body = await response.json(content_type=None)
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        raise IssuerUnavailable(f"{what} could not be fetched ({type(exc).__name__})") from None
    if not isinstance(body, dict):
        raise IssuerUnavailable(f"{what} is not a JSON object")
    return body


class Discovery:
    """Fetches the discovery document on first use and keeps it for ``max_age_s``."""

    def __init__(
        self,
        http: aiohttp.ClientSession,
        issuer: str,
        *,
        max_age_s: float = 24 * 3600,
        clock: Clock = system_clock,
        shared: MetadataStore | None = None,
    ) -> None:
        self._http = http
        self._issuer = issuer.rstrip("/")
        self._max_age_s = max_age_s
        self._local_max_age_s = max_age_s if shared is None else min(LOCAL_MAX_AGE_S, max_age_s)
        self._shared = shared
        self._clock = clock
        self._metadata: IssuerMetadata | None = None
        self._fetched_at = 0.0
        self._lock = asyncio.Lock()

    @property
    def configured_issuer(self) -> str:
        """The issuer from the settings, without a trailing slash."""
        return self._issuer

    async def metadata(self) -> IssuerMetadata:
        """The cached metadata, refetched when older than ``max_age_s``.

        A failed refetch keeps serving the previous document: a short outage of the
        issuer should not log everybody out.
        """
        if self._metadata is not None and not self._stale():
            return self._metadata
        async with self._lock:
            if self._metadata is not None and not self._stale():
                return self._metadata
            try:
                self._metadata = await self._load()
            except IssuerUnavailable as exc:
                if self._metadata is None:
                    raise
                log.warning("keeping the cached discovery document: %s", exc.description)
            self._fetched_at = self._clock()
            return self._metadata

    async def _load(self) -> IssuerMetadata:
        if self._shared is not None:
            document = await self._shared.get("discovery")
            if document is not None:
                try:
                    return IssuerMetadata.from_document(document, self._issuer)
                except IssuerUnavailable:
                    pass  # a shared copy of another issuer or shape: fetch a good one
        document = await fetch_json(self._http, self._issuer + WELL_KNOWN, "discovery document")
        metadata = IssuerMetadata.from_document(document, self._issuer)
        if self._shared is not None:
            await self._shared.put("discovery", document, self._max_age_s)
        return metadata

    def _stale(self) -> bool:
        return self._clock() - self._fetched_at >= self._local_max_age_s
