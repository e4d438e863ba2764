"""Sessions and pending logins in Redis, shared by every gateway worker.

The same :class:`~auth.sessions.SessionStore` semantics as the in-memory store: a session ends
``idle_timeout_s`` after its last use or ``max_lifetime_s`` after login, whichever comes first;
a pending login is taken once and expires after ``login_ttl_s``. A session made through one
worker is valid on all of them, and ending it on one (logout, front-channel logout) ends it
everywhere.

Keys (after ``MINSIDE_REDIS_KEY_PREFIX``), each named by a SHA-256 digest, never by a secret:

- ``session:<digest(session id)>``: the session record, its TTL the time it has left;
- ``session-sid:<digest(sid)>``: a set of the session digests of one ID-porten ``sid``, for
  front-channel logout (kept as long as the newest of them can live);
- ``login:<digest(state)>``: a pending login.

Records hold a fødselsnummer and an id_token, so they are encrypted and authenticated at rest
(Fernet, a key derived from the server secret) and serialised as JSON, never pickled. A record
that does not decrypt (another secret, tampering) counts as absent. Redis TTLs expire the
records; the store's clock is checked as well, so both agree with the in-memory store.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable, Coroutine
from dataclasses import asdict, replace
from typing import Any, ParamSpec, TypeVar

from cryptography.fernet import Fernet, InvalidToken
from redis.asyncio import Redis
from redis.exceptions import RedisError

from auth.acr import Acr
from auth.clock import Clock, system_clock
from auth.errors import SessionStoreUnavailable
from auth.sessions import PendingLogin, SessionData, digest, new_secret

__all__ = ["RedisSessionStore"]


P = ParamSpec("P")
T = TypeVar("T")


def _unavailable_on_redis_errors(
    method: Callable[P, Coroutine[Any, Any, T]],
) -> Callable[P, Coroutine[Any, Any, T]]:
    """Redis down or slow: a typed refusal (503 ``AUTH_UNAVAILABLE``), not a crash, and not
    "logged out" either (the session is still there once Redis answers again)."""

    @functools.wraps(method)
    async def guarded(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return await method(*args, **kwargs)
        except RedisError as exc:
            raise SessionStoreUnavailable(
                f"the session store is unavailable ({type(exc).__name__})"
            ) from None

    return guarded


def _ms(seconds: float) -> int:
    """A Redis TTL in milliseconds: never zero (Redis refuses it)."""
    return max(1, math.ceil(seconds * 1000))


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class RedisSessionStore:
    """The :class:`~auth.sessions.SessionStore` for many workers (see the module docstring).

    ``client`` is the process's Redis client (:func:`kernel.redis_client.open_redis`), which
    the store does not close; ``fernet_key`` comes from
    ``ServerSecret.fernet_key("session-store")`` and must be the same in every worker.
    """

    def __init__(
        self,
        client: Redis,
        fernet_key: bytes,
        *,
        prefix: str = "minside:",
        idle_timeout_s: float = 1800.0,
        max_lifetime_s: float = 8 * 3600.0,
        login_ttl_s: float = 600.0,
        clock: Clock = system_clock,
    ) -> None:
        self.client = client
        self.prefix = prefix
        self.idle_timeout_s = idle_timeout_s
        self.max_lifetime_s = max_lifetime_s
        self.login_ttl_s = login_ttl_s
        self.clock = clock
        self._fernet = Fernet(fernet_key)

    # --- keys and records ---------------------------------------------------------------

    def _session_key(self, hashed: str) -> str:
        return f"{self.prefix}session:{hashed}"

    def _sid_key(self, sid: str) -> str:
        return f"{self.prefix}session-sid:{digest(sid)}"

    def _login_key(self, state: str) -> str:
        return f"{self.prefix}login:{digest(state)}"

    def _seal(self, record: dict[str, Any], key: str) -> bytes:
        # The Redis key is sealed with the record: a record copied under another key (someone
        # able to write Redis putting a victim's session under their own cookie's key) is
        # refused, not served.
        plain = json.dumps({"key": key, "record": record}, separators=(",", ":"))
        return self._fernet.encrypt(plain.encode())

    def _open(self, token: bytes | str | None, key: str) -> dict[str, Any] | None:
        if token is None:
            return None
        try:
            sealed = json.loads(self._fernet.decrypt(token))
        except (InvalidToken, ValueError):
            return None
        if not isinstance(sealed, dict) or sealed.get("key") != key:
            return None
        record = sealed.get("record")
        return record if isinstance(record, dict) else None

    def _seal_session(self, data: SessionData, key: str) -> bytes:
        return self._seal({**asdict(data), "acr": data.acr.value}, key)

    def _open_session(self, token: bytes | str | None, key: str) -> SessionData | None:
        record = self._open(token, key)
        if record is None:
            return None
        try:
            return SessionData(**{**record, "acr": Acr(record["acr"])})
        except (KeyError, TypeError, ValueError):
            return None

    def _ttl_s(self, data: SessionData, now: float) -> float:
        """How long a session used at `now` may live: idle window, capped by its lifetime."""
        return min(self.idle_timeout_s, data.created_at + self.max_lifetime_s - now)

    # --- SessionStore -------------------------------------------------------------------

    @_unavailable_on_redis_errors
    async def create(self, data: SessionData) -> str:
        """Store a new session and return its (new, random) id."""
        session_id = new_secret()
        now = self.clock()
        data = replace(data, created_at=now, last_seen_at=now)
        hashed = digest(session_id)
        key = self._session_key(hashed)
        async with self.client.pipeline(transaction=True) as pipe:
            pipe.set(key, self._seal_session(data, key), px=_ms(self._ttl_s(data, now)))
            if data.sid is not None:
                # The newest session of a sid lives longest: its lifetime bounds the index's.
                sid_key = self._sid_key(data.sid)
                pipe.sadd(sid_key, hashed)
                pipe.pexpire(sid_key, _ms(self.max_lifetime_s))
            await pipe.execute()
        return session_id

    @_unavailable_on_redis_errors
    async def get(self, session_id: str) -> SessionData | None:
        """The live session for this id, marking it used; ``None`` if unknown or expired."""
        key = self._session_key(digest(session_id))
        data = self._open_session(await self.client.get(key), key)
        if data is None:
            return None
        now = self.clock()
        ttl = self._ttl_s(data, now)
        if now - data.last_seen_at >= self.idle_timeout_s or ttl <= 0:
            await self._remove(digest(session_id), data)
            return None
        data = replace(data, last_seen_at=now)
        # XX: only while it still exists, so a use racing a logout on another worker cannot
        # bring the session back.
        if not await self.client.set(key, self._seal_session(data, key), px=_ms(ttl), xx=True):
            return None
        return data

    @_unavailable_on_redis_errors
    async def delete(self, session_id: str) -> SessionData | None:
        """End the session with this id; return what it held, if it existed."""
        hashed = digest(session_id)
        key = self._session_key(hashed)
        data = self._open_session(await self.client.getdel(key), key)
        if data is not None and data.sid is not None:
            await self.client.srem(self._sid_key(data.sid), hashed)
        return data

    @_unavailable_on_redis_errors
    async def delete_by_sid(self, sid: str) -> int:
        """End every session of this ID-porten ``sid``; return how many there were."""
        sid_key = self._sid_key(sid)
        members = [_text(m) for m in await self.client.smembers(sid_key)]
        if not members:
            return 0
        async with self.client.pipeline(transaction=True) as pipe:
            pipe.delete(*(self._session_key(hashed) for hashed in members))
            # Only the members read: a session of this sid made meanwhile stays findable.
            pipe.srem(sid_key, *members)
            deleted, _ = await pipe.execute()
        return int(deleted)

    @_unavailable_on_redis_errors
    async def put_login(self, state: str, pending: PendingLogin) -> None:
        """Remember a pending login under its ``state``."""
        pending = replace(pending, created_at=self.clock())
        record = {**asdict(pending), "acr": pending.acr.value}
        key = self._login_key(state)
        await self.client.set(key, self._seal(record, key), px=_ms(self.login_ttl_s))

    @_unavailable_on_redis_errors
    async def take_login(self, state: str) -> PendingLogin | None:
        """Remove and return the pending login for ``state`` (one-time); ``None`` if unknown."""
        key = self._login_key(state)
        record = self._open(await self.client.getdel(key), key)
        if record is None:
            return None
        try:
            pending = PendingLogin(**{**record, "acr": Acr(record["acr"])})
        except (KeyError, TypeError, ValueError):
            return None
        if self.clock() - pending.created_at >= self.login_ttl_s:
            return None
        return pending

    async def _remove(self, hashed: str, data: SessionData) -> None:
        async with self.client.pipeline(transaction=True) as pipe:
            pipe.delete(self._session_key(hashed))
            if data.sid is not None:
                pipe.srem(self._sid_key(data.sid), hashed)
            await pipe.execute()
