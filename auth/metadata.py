"""ID-porten's discovery document and JWKS shared by every worker (Redis).

Both are public documents, but what the gateway trusts them for is not: the JWKS decides
which tokens are valid and the discovery document where codes and client assertions go. So
they are sealed with Fernet (a key derived from the server secret, purpose
``idporten-metadata``) under ``<prefix>idporten:<issuer digest>:<name>`` with the metadata
max-age as TTL. The sealed payload names the document and the issuer and carries its expiry,
so one sealed document cannot stand in for another or outlive its TTL. Whoever can write
Redis without the server secret (another tenant on the same Redis under another prefix, say)
cannot plant keys or endpoints: a document that does not authenticate is a miss, fetched
again from the issuer (and logged at WARNING the first time per document and worker).

A worker reads the shared copy before asking the issuer and writes back what it fetched, so
N workers together fetch each document about once per max-age instead of N times. The
unknown-``kid`` refetch limit is shared too: a refetch first claims ``...:<name>-refresh``
(``SET NX PX``), so N workers together stay within it.

Redis failing must not stop logins: a failed read is a miss, a failed write is skipped and a
failed claim is granted (each worker then keeps its own limit, as with one process).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import time
from typing import Any, Protocol

from cryptography.fernet import Fernet, InvalidToken
from redis.asyncio import Redis
from redis.exceptions import RedisError

__all__ = ["MetadataStore", "RedisMetadataStore"]

log = logging.getLogger(__name__)


class MetadataStore(Protocol):
    """Where workers share the issuer's public documents."""

    async def get(self, name: str) -> dict[str, Any] | None:
        """The shared document `name` (``"discovery"``, ``"jwks"``), or ``None``."""
        ...

    async def put(self, name: str, document: dict[str, Any], ttl_s: float) -> None:
        """Share `document` as `name` for `ttl_s`."""
        ...

    async def claim_refresh(self, name: str, interval_s: float) -> bool:
        """Whether this worker may refetch `name` now: at most once per `interval_s` for all."""
        ...


def _ms(seconds: float) -> int:
    return max(1, math.ceil(seconds * 1000))


class RedisMetadataStore:
    """The :class:`MetadataStore` in Redis (see the module docstring)."""

    def __init__(
        self, client: Redis, issuer: str, fernet_key: bytes, *, prefix: str = "minside:"
    ) -> None:
        self.client = client
        self._issuer = issuer.rstrip("/")
        issuer_digest = hashlib.sha256(self._issuer.encode()).hexdigest()[:16]
        self._base = f"{prefix}idporten:{issuer_digest}:"
        self._fernet = Fernet(fernet_key)
        self._warned: set[str] = set()

    async def get(self, name: str) -> dict[str, Any] | None:
        try:
            raw = await self.client.get(self._base + name)
        except RedisError as exc:
            log.warning("shared %s unreadable (%s)", name, type(exc).__name__)
            return None
        if raw is None:
            return None
        return self._open(name, raw)

    async def put(self, name: str, document: dict[str, Any], ttl_s: float) -> None:
        sealed = self._seal(name, document, time.time() + ttl_s)
        try:
            await self.client.set(self._base + name, sealed, px=_ms(ttl_s))
        except RedisError as exc:
            log.warning("shared %s not written (%s)", name, type(exc).__name__)

    def _seal(self, name: str, document: dict[str, Any], expires_at: float) -> bytes:
        payload = {"name": name, "issuer": self._issuer, "exp": expires_at, "doc": document}
        return self._fernet.encrypt(json.dumps(payload).encode())

    def _open(self, name: str, raw: bytes | str) -> dict[str, Any] | None:
        """The document sealed in `raw`, or ``None`` if it is not ours, not `name`'s or old."""
        try:
            payload = json.loads(self._fernet.decrypt(raw))
        except (InvalidToken, ValueError, TypeError):
            self._refuse(name, "failed authentication")
            return None
        if (
            not isinstance(payload, dict)
            or payload.get("name") != name
            or payload.get("issuer") != self._issuer
            or not isinstance(payload.get("doc"), dict)
        ):
            self._refuse(name, "is sealed for another document or issuer")
            return None
        expires_at = payload.get("exp")
        if not isinstance(expires_at, int | float) or expires_at <= time.time():
            return None  # a replayed old copy: fetch a current one
        document: dict[str, Any] = payload["doc"]
        return document

    def _refuse(self, name: str, why: str) -> None:
        # Once per document and worker: a planted value would otherwise log on every read
        # (a cold worker polls) until the next fetch overwrites it.
        if name in self._warned:
            log.debug("shared %s %s; treated as a miss", name, why)
            return
        self._warned.add(name)
        log.warning("shared %s %s; treated as a miss and fetched from the issuer", name, why)

    async def claim_refresh(self, name: str, interval_s: float) -> bool:
        try:
            claimed = await self.client.set(
                f"{self._base}{name}-refresh", b"1", nx=True, px=_ms(interval_s)
            )
        except RedisError as exc:
            log.warning("shared %s refresh limit unreadable (%s)", name, type(exc).__name__)
            return True
        return bool(claimed)
