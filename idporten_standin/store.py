"""In-memory state of the stand-in: SSO sessions, authorization codes, used assertion ids.

Everything lives in one process and one event loop (the stand-in is a development tool), so plain
dicts suffice; expiry is checked on read.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from idporten_standin.config import LOA_HIGH


def acr_satisfies(have: str, want: str) -> bool:
    """True if a login at level `have` satisfies a request for `want` (high covers substantial)."""
    return have in (want, LOA_HIGH)


@dataclass
class Login:
    """A completed login at the provider: who, at which level, when, in which SSO session."""

    pid: str
    acr: str
    auth_time: int
    sid: str
    locale: str = "nb"


@dataclass
class SsoSession:
    """The provider's browser session (cookie); clients that logged in through it participate."""

    session_id: str
    login: Login
    expires_at: float
    participants: list[str] = field(default_factory=list)  # client ids, in login order

    def add_participant(self, client_id: str) -> None:
        """Remember that `client_id` got a login from this session (for single logout)."""
        if client_id not in self.participants:
            self.participants.append(client_id)


@dataclass
class AuthorizationCode:
    """An issued authorization code and everything the token endpoint needs to honour it."""

    code: str
    client_id: str
    redirect_uri: str
    scope: str
    login: Login
    code_challenge: str
    code_challenge_method: str
    expires_at: float
    nonce: str | None = None
    resource: list[str] = field(default_factory=list)

    # --- authlib's AuthorizationCodeMixin / OIDC AuthorizationCodeMixin protocol ---------------
    def get_redirect_uri(self) -> str:
        """The redirect URI the code was issued for (must match at the token endpoint)."""
        return self.redirect_uri

    def get_scope(self) -> str:
        """The granted scope."""
        return self.scope

    def get_nonce(self) -> str | None:
        """The client's nonce, echoed in the ID token."""
        return self.nonce

    def get_auth_time(self) -> int:
        """When the person authenticated (SSO logins keep the original time)."""
        return self.login.auth_time

    def get_acr(self) -> str:
        """The level of assurance of the login."""
        return self.login.acr

    def get_amr(self) -> list[str]:
        """Authentication methods: the stand-in is always 'TestID'."""
        return ["TestID"]


class Store:
    """All mutable provider state, with expiry handled on access."""

    def __init__(self) -> None:
        self._codes: dict[str, AuthorizationCode] = {}
        self._sessions: dict[str, SsoSession] = {}
        self._assertion_ids: dict[str, float] = {}

    # --- SSO sessions --------------------------------------------------------------------------
    def new_session(self, login: Login, lifetime_s: int) -> SsoSession:
        """Start an SSO session for a fresh login."""
        session = SsoSession(secrets.token_urlsafe(32), login, time.time() + lifetime_s)
        self._sessions[session.session_id] = session
        return session

    def session(self, session_id: str | None) -> SsoSession | None:
        """The live session with this cookie value, if any."""
        if not session_id:
            return None
        session = self._sessions.get(session_id)
        if session is None or session.expires_at < time.time():
            self._sessions.pop(session_id, None)
            return None
        return session

    def session_by_sid(self, sid: str) -> SsoSession | None:
        """The live session whose ``sid`` claim is `sid` (logout without the cookie)."""
        for session in list(self._sessions.values()):
            if session.login.sid == sid:
                return self.session(session.session_id)
        return None

    def end_session(self, session: SsoSession) -> None:
        """Forget a session (logout)."""
        self._sessions.pop(session.session_id, None)

    # --- authorization codes -------------------------------------------------------------------
    def save_code(self, code: AuthorizationCode) -> None:
        """Remember an issued code until it is redeemed or expires."""
        self._codes[code.code] = code

    def take_code(self, code: str, client_id: str) -> AuthorizationCode | None:
        """Redeem a code: it is removed on the first presentation, so a replay finds nothing."""
        found = self._codes.pop(code, None)
        if found is None or found.client_id != client_id or found.expires_at < time.time():
            return None
        return found

    # --- private_key_jwt assertion ids ---------------------------------------------------------
    def use_assertion_id(self, client_id: str, jti: str, ttl_s: float) -> bool:
        """Record an assertion's jti; False if it was seen before (replayed client assertion)."""
        now = time.time()
        for key, expiry in list(self._assertion_ids.items()):
            if expiry < now:
                del self._assertion_ids[key]
        key = f"{client_id}\x00{jti}"
        if key in self._assertion_ids:
            return False
        self._assertion_ids[key] = now + ttl_s
        return True

    def snapshot(self) -> dict[str, Any]:
        """Counts for diagnostics (no personal data)."""
        return {"sessions": len(self._sessions), "codes": len(self._codes)}
