"""ID-porten's discovery document and JWKS shared by every worker (Redis).

Both are public documents, kept in clear: ``<prefix>idporten:<issuer digest>:<name>`` with
the metadata max-age as TTL. A worker reads the shared copy before asking the issuer and
writes back what it fetched, so N workers together fetch each document about once per max-age
instead of N times. The unknown-``kid`` refetch limit is shared too: a refetch first claims
``...:<name>-refresh`` (``SET NX PX``), so N workers together stay within it.

Redis failing must not stop logins: a failed read is a miss, a failed write is skipped and a
failed claim is granted (each worker then keeps its own limit, as with one process).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from typing import Any, Protocol

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

    def __init__(self, client: Redis, issuer: str, *, prefix: str = "minside:") -> None:
        self.client = client
        issuer_digest = hashlib.sha256(issuer.rstrip("/").encode()).hexdigest()[:16]
        self._base = f"{prefix}idporten:{issuer_digest}:"

    async def get(self, name: str) -> dict[str, Any] | None:
        try:
            raw = await self.client.get(self._base + name)
        except RedisError as exc:
            log.warning("shared %s unreadable (%s)", name, type(exc).__name__)
            return None
        if raw is None:
            return None
        try:
            document = json.loads(raw)
        except ValueError:
            return None
        return document if isinstance(document, dict) else None

    async def put(self, name: str, document: dict[str, Any], ttl_s: float) -> None:
        try:
            await self.client.set(self._base + name, json.dumps(document), px=_ms(ttl_s))
        except RedisError as exc:
            log.warning("shared %s not written (%s)", name, type(exc).__name__)

    async def claim_refresh(self, name: str, interval_s: float) -> bool:
        try:
            claimed = await self.client.set(
                f"{self._base}{name}-refresh", b"1", nx=True, px=_ms(interval_s)
            )
        except RedisError as exc:
            log.warning("shared %s refresh limit unreadable (%s)", name, type(exc).__name__)
            return True
        return bool(claimed)
