"""Server-side browser sessions and pending logins, behind a store interface.

The browser only ever holds a random session id. The store keys everything by a SHA-256 hash
of that id, so a dump of the store (in memory here, or Redis: :mod:`auth.session_redis`)
cannot be replayed as cookies.
Sessions are also findable by ID-porten's ``sid`` so a front-channel logout, which arrives
without the cookie, can end them.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from dataclasses import dataclass, field, replace
from typing import Protocol

from auth.acr import Acr
from auth.clock import Clock, system_clock
from auth.viewer import AuthMethod, Viewer


def new_secret() -> str:
    """A fresh unguessable value (session ids, state, nonce, PKCE verifier): 256 bits."""
    return secrets.token_urlsafe(32)


def digest(value: str) -> str:
    """The hash a secret is stored under; comparing hashes leaks nothing about the secret."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class SessionData:
    """What the gateway keeps about one logged-in browser."""

    pid: str = field(repr=False)
    sub: str
    acr: Acr
    sid: str | None
    id_token: str = field(repr=False)  # for id_token_hint at logout; never sent to the browser
    created_at: float = 0.0
    last_seen_at: float = 0.0

    def viewer(self) -> Viewer:
        """The viewer a request on this session acts as."""
        return Viewer(
            pid=self.pid, sub=self.sub, acr=self.acr, method=AuthMethod.SESSION, sid=self.sid
        )


@dataclass(frozen=True)
class PendingLogin:
    """A login started at /auth/login and not yet finished at /auth/callback."""

    browser_binding: str  # digest of the login cookie, so only the browser that started it ends it
    nonce: str = field(repr=False)
    code_verifier: str = field(repr=False)
    acr: Acr
    return_to: str
    created_at: float


class SessionStore(Protocol):
    """Where sessions and pending logins live: in this process (:class:`InMemorySessionStore`)
    or, shared by every worker, in Redis (:class:`auth.session_redis.RedisSessionStore`)."""

    async def create(self, data: SessionData) -> str:
        """Store a new session and return its (new, random) id."""
        ...

    async def get(self, session_id: str) -> SessionData | None:
        """The live session for this id, marking it used; ``None`` if unknown or expired."""
        ...

    async def delete(self, session_id: str) -> SessionData | None:
        """End the session with this id; return what it held, if it existed."""
        ...

    async def delete_by_sid(self, sid: str) -> int:
        """End every session of this ID-porten ``sid``; return how many there were."""
        ...

    async def put_login(self, state: str, pending: PendingLogin) -> None:
        """Remember a pending login under its ``state``."""
        ...

    async def take_login(self, state: str) -> PendingLogin | None:
        """Remove and return the pending login for ``state`` (one-time); ``None`` if unknown."""
        ...


class InMemorySessionStore:
    """The embedded single-process :class:`SessionStore`.

    A session ends after ``idle_timeout_s`` without use (ID-porten's rule: 30 minutes) or
    ``max_lifetime_s`` after login, whichever comes first. Pending logins expire after
    ``login_ttl_s``. Expired entries are swept on writes so memory stays bounded.
    """

    def __init__(
        self,
        *,
        idle_timeout_s: float = 1800.0,
        max_lifetime_s: float = 8 * 3600.0,
        login_ttl_s: float = 600.0,
        clock: Clock = system_clock,
    ) -> None:
        self.idle_timeout_s = idle_timeout_s
        self.max_lifetime_s = max_lifetime_s
        self.login_ttl_s = login_ttl_s
        self.clock = clock
        self._sessions: dict[str, SessionData] = {}
        self._by_sid: dict[str, set[str]] = {}
        self._logins: dict[str, PendingLogin] = {}
        self._lock = asyncio.Lock()

    def _alive(self, data: SessionData, now: float) -> bool:
        return (
            now - data.last_seen_at < self.idle_timeout_s
            and now - data.created_at < self.max_lifetime_s
        )

    def _remove(self, key: str) -> SessionData | None:
        data = self._sessions.pop(key, None)
        if data is not None and data.sid is not None:
            keys = self._by_sid.get(data.sid)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self._by_sid[data.sid]
        return data

    def _sweep(self, now: float) -> None:
        for key in [k for k, d in self._sessions.items() if not self._alive(d, now)]:
            self._remove(key)
        for state in [s for s, p in self._logins.items() if now - p.created_at >= self.login_ttl_s]:
            del self._logins[state]

    async def create(self, data: SessionData) -> str:
        """Store a new session and return its (new, random) id."""
        session_id = new_secret()
        now = self.clock()
        async with self._lock:
            self._sweep(now)
            key = digest(session_id)
            self._sessions[key] = replace(data, created_at=now, last_seen_at=now)
            if data.sid is not None:
                self._by_sid.setdefault(data.sid, set()).add(key)
        return session_id

    async def get(self, session_id: str) -> SessionData | None:
        """The live session for this id, marking it used; ``None`` if unknown or expired."""
        key = digest(session_id)
        now = self.clock()
        async with self._lock:
            data = self._sessions.get(key)
            if data is None:
                return None
            if not self._alive(data, now):
                self._remove(key)
                return None
            data = replace(data, last_seen_at=now)
            self._sessions[key] = data
            return data

    async def delete(self, session_id: str) -> SessionData | None:
        """End the session with this id; return what it held, if it existed."""
        async with self._lock:
            return self._remove(digest(session_id))

    async def delete_by_sid(self, sid: str) -> int:
        """End every session of this ID-porten ``sid``; return how many there were."""
        async with self._lock:
            keys = list(self._by_sid.get(sid, ()))
            for key in keys:
                self._remove(key)
            return len(keys)

    async def put_login(self, state: str, pending: PendingLogin) -> None:
        """Remember a pending login under its ``state``."""
        now = self.clock()
        async with self._lock:
            self._sweep(now)
            # Stamped by the store so expiry uses one clock, whoever built the record.
            self._logins[digest(state)] = replace(pending, created_at=now)

    async def take_login(self, state: str) -> PendingLogin | None:
        """Remove and return the pending login for ``state`` (one-time); ``None`` if unknown."""
        async with self._lock:
            pending = self._logins.pop(digest(state), None)
        if pending is None or self.clock() - pending.created_at >= self.login_ttl_s:
            return None
        return pending

    def __len__(self) -> int:
        return len(self._sessions)
