"""The issuer's signing keys (JWKS): cached, refreshed ahead of expiry and on a new ``kid``.

An issuer rotates by publishing a new key and signing with it. The first token with the new
``kid`` makes the cache look at the issuer again, unless it looked less than
``new_kid_refresh_s`` (a few seconds) ago; so a rotated key is accepted within seconds. Forged
tokens with made-up kids cannot turn this into a flood of fetches: a burst of new kids costs at
most one look per ``new_kid_refresh_s``, and a kid that a look made after its first sighting
did not find is remembered as unknown for ``min_refresh_interval_s`` (the guard window) and
answered from memory. Once the key set is older than ``REFRESH_AHEAD`` of its max age, a
lookup starts a refresh in the background, so requests do not wait for an expired set.

With a shared :class:`~auth.metadata.MetadataStore` (Redis, many workers) the key set is read
from there first and written back after a fetch, each worker keeping its copy for a short
while (``LOCAL_MAX_AGE_S``); the fetch limit is claimed in the store, so N workers together
ask the issuer at most once per ``new_kid_refresh_s``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
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

# Least time between looks for a kid not seen before (clamped to the guard window), the share of
# the max age after which a lookup refreshes the set in the background, and how many unknown
# kids are remembered at most (past that, new ones are only limited by the floor).
NEW_KID_REFRESH_S = 5.0
REFRESH_AHEAD = 0.8
MAX_REMEMBERED_KIDS = 10_000


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


@dataclass(frozen=True)
class _Sighting:
    """An unknown kid: when it was first seen and how many refreshes had started by then."""

    at: float
    refreshes_started: int


class JwksCache:
    """Signing keys by ``kid`` (see the module docstring for the refresh rules).

    ``min_refresh_interval_s`` is the guard window: how long a kid the issuer did not publish is
    answered as unknown without asking again. ``new_kid_refresh_s`` is the least time between
    looks caused by kids not known to be unknown yet.
    """

    def __init__(
        self,
        fetch: JwksFetcher,
        *,
        max_age_s: float = 24 * 3600,
        min_refresh_interval_s: float = 60.0,
        new_kid_refresh_s: float = NEW_KID_REFRESH_S,
        clock: Clock = system_clock,
        shared: MetadataStore | None = None,
    ) -> None:
        self._fetch = fetch
        self._shared = shared
        self._max_age_s = max_age_s
        self._guard_s = min_refresh_interval_s
        self._new_kid_refresh_s = min(new_kid_refresh_s, min_refresh_interval_s)
        if shared is None:
            self._local_max_age_s = max_age_s
            self._local_refresh_s = self._new_kid_refresh_s
        else:  # the issuer's limits are kept in the store; locally only Redis reads are
            self._local_max_age_s = min(LOCAL_MAX_AGE_S, max_age_s)
            self._local_refresh_s = min(SHARED_RECHECK_S, self._new_kid_refresh_s)
        self._clock = clock
        self._keys: dict[str, RSAKey] | None = None
        self._attempted_at: float | None = None
        self._loaded_at: float | None = None
        self._generation = 0
        self._lock = asyncio.Lock()
        # Unknown kids by first sighting. One is known to be unknown once a refresh that
        # started after its sighting has asked the issuer: _confirmed_through is the number
        # (1-based) of the latest such refresh.
        self._unknown: dict[str, _Sighting] = {}
        self._refreshes_started = 0
        self._confirmed_through = 0
        self._background: asyncio.Task[None] | None = None

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
            self._refresh_ahead()
            return keys[kid]
        return await self._unknown_kid(kid)

    def close(self) -> None:
        """Stop a background refresh still under way (the app is shutting down)."""
        if self._background is not None:
            self._background.cancel()
            self._background = None

    async def _unknown_kid(self, kid: str) -> RSAKey | None:
        now = self._clock()
        sighting = self._unknown.get(kid)
        if sighting is not None and now - sighting.at >= self._guard_s:
            del self._unknown[kid]
            sighting = None
        if sighting is None:
            self._remember(kid, _Sighting(now, self._refreshes_started))
        elif self._confirmed_through > sighting.refreshes_started:
            return None  # the issuer did not publish it when asked after it was first seen
        if not self._may_refresh():
            return None  # looked a moment ago; a real new key is accepted a few seconds later
        await self._refresh(force=False, kid=kid)
        key = (self._keys or {}).get(kid)
        if key is not None:
            self._unknown.pop(kid, None)
        return key

    def _remember(self, kid: str, sighting: _Sighting) -> None:
        if len(self._unknown) >= MAX_REMEMBERED_KIDS:
            now = self._clock()
            self._unknown = {
                known: seen
                for known, seen in self._unknown.items()
                if now - seen.at < self._guard_s
            }
            if len(self._unknown) >= MAX_REMEMBERED_KIDS:
                return  # not remembered: such kids are limited by the floor alone
        self._unknown[kid] = sighting

    def _refresh_ahead(self) -> None:
        """Refresh an ageing key set in the background (the request goes on with this one)."""
        if self._background is not None and not self._background.done():
            return
        if (
            self._loaded_at is None
            or self._clock() - self._loaded_at < REFRESH_AHEAD * self._local_max_age_s
            or not self._may_refresh()
        ):
            return
        self._background = asyncio.create_task(self._refresh_in_background())

    async def _refresh_in_background(self) -> None:
        try:
            await self._refresh(force=False)
        except IssuerUnavailable as exc:
            log.warning("background JWKS refresh failed: %s", exc.description)
        except Exception:  # a task nobody awaits: log instead of losing the error
            log.exception("background JWKS refresh failed")

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
            self._refreshes_started += 1
            number = self._refreshes_started
            try:
                if self._shared is None:
                    document: Mapping[str, Any] | None = await self._fetch()
                    asked_issuer = True
                else:
                    document, asked_issuer = await self._load_shared(self._shared, kid=kid)
                if document is not None:
                    self._keys = rsa_signing_keys(document)
                    self._loaded_at = self._clock()
                if asked_issuer:
                    self._confirmed_through = number
            except IssuerUnavailable as exc:
                if self._keys is None:
                    raise
                log.warning("keeping the cached JWKS: %s", exc.description)
            finally:
                self._generation += 1

    async def _load_shared(
        self, shared: MetadataStore, *, kid: str | None
    ) -> tuple[Mapping[str, Any] | None, bool]:
        """The key set to use now, from the store or (when the limit allows) the issuer, and
        whether the issuer was asked; ``None`` keeps the current one."""
        document = await shared.get("jwks")
        if document is not None and (kid is None or _has_kid(document, kid)):
            return document, False
        # Not there (or the shared set lacks this kid): the issuer, if the shared limit allows.
        if await shared.claim_refresh("jwks", self._new_kid_refresh_s):
            fetched = dict(await self._fetch())
            await shared.put("jwks", fetched, self._max_age_s)
            return fetched, True
        if document is not None or self._keys is not None:
            return document, False
        # No keys anywhere yet and another worker is fetching them (or failed a moment ago).
        loop = asyncio.get_running_loop()
        deadline = loop.time() + SHARED_WAIT_S
        while loop.time() < deadline:
            await asyncio.sleep(SHARED_POLL_S)
            document = await shared.get("jwks")
            if document is not None:
                return document, False
        raise IssuerUnavailable("JWKS is unavailable")


def _has_kid(document: Mapping[str, Any], kid: str) -> bool:
    entries = document.get("keys")
    return isinstance(entries, list) and any(
        isinstance(entry, dict) and entry.get("kid") == kid for entry in entries
    )
