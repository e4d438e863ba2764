"""Access-token validation: the gateway as an ID-porten-protected resource server."""

from __future__ import annotations

from dataclasses import dataclass, replace

from auth.acr import Acr
from auth.clock import Clock, system_clock
from auth.discovery import Discovery
from auth.errors import InsufficientAuthentication, InsufficientScope, InvalidToken
from auth.jwks import JwksCache
from auth.jws import (
    audience_matches,
    check_access_token_type,
    check_issuer_and_time,
    check_token_age,
    unverified_header,
    verified_claims,
)
from auth.viewer import AuthMethod, Viewer
from kernel.partners import ClientRegistry


@dataclass(frozen=True)
class TokenPolicy:
    """What an access token must satisfy besides a valid signature from the issuer.

    ``required_scope`` matters most: without it any login to any other service that uses
    ID-porten would pass here. ``max_age_s`` caps how long ago (``iat``, plus the skew) a token
    may have been issued, whatever its ``exp`` says.
    """

    required_scope: str
    minimum_acr: Acr = Acr.SUBSTANTIAL
    audience: str | None = None
    clock_skew_s: float = 10.0
    max_age_s: float = 3600.0


class AccessTokenValidator:
    """Turns a bearer token into a :class:`Viewer` or raises an :class:`~auth.errors.AuthError`."""

    def __init__(
        self,
        discovery: Discovery,
        jwks: JwksCache,
        policy: TokenPolicy,
        *,
        clock: Clock = system_clock,
        clients: ClientRegistry | None = None,
    ) -> None:
        self._discovery = discovery
        # Who a token's client_id may be (None: any client, as Min side; for tests of the
        # other checks alone).
        self._clients = clients
        self._jwks = jwks
        self._policy = policy
        self._clock = clock

    async def validate(self, token: str) -> Viewer:
        """The viewer the token speaks for; every check failure raises with a safe message."""
        metadata = await self._discovery.metadata()
        # Before any key lookup: an ID token or other JWT is refused without touching the JWKS.
        check_access_token_type(unverified_header(token))
        claims = await verified_claims(token, self._jwks)
        policy = self._policy
        now = self._clock()
        check_issuer_and_time(claims, issuer=metadata.issuer, now=now, skew_s=policy.clock_skew_s)
        check_token_age(claims, now=now, max_age_s=policy.max_age_s, skew_s=policy.clock_skew_s)
        if policy.audience is not None and not audience_matches(claims, policy.audience):
            raise InvalidToken("token audience is not accepted")
        pid = claims.get("pid")
        if not isinstance(pid, str) or not pid:
            raise InvalidToken("token has no pid (a Norwegian national identity is required)")
        acr = Acr.parse(claims.get("acr"))
        if acr is None:
            raise InvalidToken("token has no recognised acr")
        if not acr.satisfies(policy.minimum_acr):
            raise InsufficientAuthentication(
                f"token level of assurance is below {policy.minimum_acr.value}",
                policy.minimum_acr,
            )
        scope = claims.get("scope")
        scopes = frozenset(scope.split()) if isinstance(scope, str) else frozenset()
        if policy.required_scope not in scopes:
            raise InsufficientScope(
                f"token lacks the scope {policy.required_scope}", policy.required_scope
            )
        client = self._clients.own if self._clients is not None else None
        if self._clients is not None:
            client_id = claims.get("client_id")
            known = self._clients.get(client_id) if isinstance(client_id, str) else None
            if known is None:
                # Neither Min side nor a partner of MINSIDE_PARTNERS_FILE.
                raise InvalidToken("token was issued to a client this API does not know")
            client = known
        sub = claims.get("sub")
        sid = claims.get("sid")
        viewer = Viewer(
            pid=pid,
            sub=sub if isinstance(sub, str) else "",
            acr=acr,
            method=AuthMethod.BEARER,
            sid=sid if isinstance(sid, str) else None,
            scopes=scopes,
        )
        return viewer if client is None else replace(viewer, client=client)
