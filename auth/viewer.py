"""Who is asking: the :class:`Viewer` built from a validated token or session."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from auth.acr import Acr
from kernel.partners import Client

# The default client of a Viewer built without one (tests, tools): Min side itself, under the
# default MINSIDE_IDPORTEN_CLIENT_ID. The gateway always sets the configured one.
MIN_SIDE = Client.min_side("minside-gateway")


class AuthMethod(Enum):
    """How the viewer proved who they are on this request."""

    BEARER = "bearer"
    SESSION = "session"


@dataclass(frozen=True)
class Viewer:
    """The logged-in citizen for one request.

    ``pid`` (the fødselsnummer) is kept out of ``repr``/``str`` so that logging or printing a
    viewer can never leak it; read it only where a back-office call needs it.

    ``client`` is who the request comes through: Min side itself (the browser session, or a
    token issued to Min side's client; every scope) or a partner portal (a token issued to its
    client; its scopes only). ``client.client_id`` and ``client.name`` (nb/nn/en) name it.
    ``scopes`` are the token's OAuth scopes, not the client's.
    """

    pid: str = field(repr=False)
    sub: str
    acr: Acr
    method: AuthMethod
    sid: str | None = None
    scopes: frozenset[str] = frozenset()
    client: Client = MIN_SIDE

    def satisfies(self, minimum: Acr) -> bool:
        """Whether this login's level of assurance is at least ``minimum``."""
        return self.acr.satisfies(minimum)
