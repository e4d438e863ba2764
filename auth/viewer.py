"""Who is asking: the :class:`Viewer` built from a validated token or session."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from auth.acr import Acr


class AuthMethod(Enum):
    """How the viewer proved who they are on this request."""

    BEARER = "bearer"
    SESSION = "session"


@dataclass(frozen=True)
class Viewer:
    """The logged-in citizen for one request.

    ``pid`` (the fødselsnummer) is kept out of ``repr``/``str`` so that logging or printing a
    viewer can never leak it; read it only where a back-office call needs it.
    """

    pid: str = field(repr=False)
    sub: str
    acr: Acr
    method: AuthMethod
    sid: str | None = None
    scopes: frozenset[str] = frozenset()
    # The OAuth client the bearer token was issued to (its client_id claim); None for a
    # browser session (Min side's own client). Rate limits count per client.
    client_id: str | None = None

    def satisfies(self, minimum: Acr) -> bool:
        """Whether this login's level of assurance is at least ``minimum``."""
        return self.acr.satisfies(minimum)
