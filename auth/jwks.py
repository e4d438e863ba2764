"""The issuer's signing keys (JWKS): cached, refreshed on an unknown ``kid`` at a bounded rate.

With a shared :class:`~auth.metadata.MetadataStore` (Redis, many workers) the key set is read
from there first and written back after a fetch, each worker keeping its copy for a short
while (``LOCAL_MAX_AGE_S``); the refetch limit is claimed in the store, so N workers together
ask the issuer at most once per ``min_refresh_interval_s``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from joserfc.jwk import RSAKey

from auth.clock import Clock, system_clock
from auth.errors import IssuerUnavailable
from auth.metadata import MetadataStore

log = logging.getLogger(__name__)

JwksFetcher = Callable[[], Awaitable[Mapping[str, Any]]]

# With a shared store: how long a worker serves its own copy before looking there again; how
# often at most an unknown kid makes it look there; how long a worker without keys waits for
# another worker's fetch (polling the store) before giving up.
LOCAL_MAX_AGE_S = 60.0
SHARED_RECHECK_S = 1.0
SHARED_WAIT_S = 5.0
SHARED_POLL_S = 0.05


def rsa_signing_keys(document: Mapping[str, Any]) -> dict[str, RSAKey]:
    """The RSA signature keys of a JWKS document by ``kid``; other keys are skipped."""
    keys: dict[str, RSAKey] = {}
    entries = document.get("keys")
    if not isinstance(entries, list):
        raise IssuerUnavailable("JWKS has no key list")
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("kty") != "RSA":
            continue
        kid = entry.get("kid")
        if not isinstance(kid, str) or entry.get("use", "sig") != "sig":
            continue
        if entry.get("alg", "RS256") != "RS256":
            continue
        try:
            keys[kid] = RSAKey.import_key(entry)
        except Exception:  # one broken key must not hide the others
            log.warning("skipping an unreadable key in the JWKS")
    return keys


class JwksCache:
    """Signing keys by ``kid``.

    The key set is kept for ``max_age_s`` (ID-porten rotates slowly). A token with an unknown
    ``kid`` triggers a refetch, but at most once per ``min_refresh_interval_s``, so a flood of
    forged tokens with random ``kid`` values cannot make the gateway hammer the issuer.
    """

    def __init__(
        self,
        fetch: JwksFetcher,
        *,
        max_age_s: float = 24 * 3600,
        min_refresh_interval_s: float = 60.0,
        clock: Clock = system_clock,
        shared: MetadataStore | None = None,
    ) -> None:
        self._fetch = fetch
        self._shared = shared
        self._max_age_s = max_age_s
        self._min_refresh_interval_s = min_refresh_interval_s
        if shared is None:
            self._local_max_age_s = max_age_s
            self._local_refresh_s = min_refresh_interval_s
        else:  # the issuer's limits are kept in the store; locally only Redis reads are
            self._local_max_age_s = min(LOCAL_MAX_AGE_S, max_age_s)
            self._local_refresh_s = min(SHARED_RECHECK_S, min_refresh_interval_s)
        self._clock = clock
        self._keys: dict[str, RSAKey] | None = None
        self._attempted_at: float | None = None
        self._generation = 0
        self._lock = asyncio.Lock()

    async def key(self, kid: str) -> RSAKey | None:
        """The key for ``kid``, refetching the JWKS if needed and allowed; ``None`` if unknown."""
        if self._keys is None and not self._may_refresh() and not self._lock.locked():
            # The issuer failed a moment ago: do not let every request retry it. (While the
            # first fetch is still under way, wait for it instead: see _refresh.)
            raise IssuerUnavailable("JWKS is unavailable")
        if self._keys is None or self._expired():
            await self._refresh(force=True, kid=kid)
        keys = self._keys or {}
        if kid in keys:
            return keys[kid]
        if self._may_refresh():
            await self._refresh(force=False, kid=kid)
        return (self._keys or {}).get(kid)

    def _expired(self) -> bool:
        return (
            self._attempted_at is None
            or self._clock() - self._attempted_at >= self._local_max_age_s
        )

    def _may_refresh(self) -> bool:
        return (
            self._attempted_at is None
            or self._clock() - self._attempted_at >= self._local_refresh_s
        )

    async def _refresh(self, *, force: bool, kid: str | None = None) -> None:
        generation = self._generation
        async with self._lock:
            # Whoever waited for the lock while another task refreshed uses that result
            # instead of fetching again (the generation moves only when a fetch has ended).
            if self._generation != generation:
                if self._keys is None:
                    raise IssuerUnavailable("JWKS is unavailable")
                return
            if not force and not self._may_refresh():
                return
            self._attempted_at = self._clock()
            try:
                if self._shared is None:
                    self._keys = rsa_signing_keys(await self._fetch())
                else:
                    document = await self._load_shared(self._shared, kid=kid)
                    if document is not None:
                        self._keys = rsa_signing_keys(document)
            except IssuerUnavailable as exc:
                if self._keys is None:
                    raise
                log.warning("keeping the cached JWKS: %s", exc.description)
            finally:
                self._generation += 1

    async def _load_shared(
        self, shared: MetadataStore, *, kid: str | None
    ) -> Mapping[str, Any] | None:
        """The key set to use now, from the store or (when the limit allows) the issuer;
        ``None`` keeps the current one."""
        document = await shared.get("jwks")
        if document is not None and (kid is None or _has_kid(document, kid)):
            return document
        # Not there (or the shared set lacks this kid): the issuer, if the shared limit allows.
        if await shared.claim_refresh("jwks", self._min_refresh_interval_s):
            fetched = dict(await self._fetch())
            await shared.put("jwks", fetched, self._max_age_s)
            return fetched
        if document is not None or self._keys is not None:
            return document
        # No keys anywhere yet and another worker is fetching them (or failed a moment ago).
        loop = asyncio.get_running_loop()
        deadline = loop.time() + SHARED_WAIT_S
        while loop.time() < deadline:
            await asyncio.sleep(SHARED_POLL_S)
            document = await shared.get("jwks")
            if document is not None:
                return document
        raise IssuerUnavailable("JWKS is unavailable")


def _has_kid(document: Mapping[str, Any], kid: str) -> bool:
    entries = document.get("keys")
    return isinstance(entries, list) and any(
        isinstance(entry, dict) and entry.get("kid") == kid for entry in entries
    )
