"""ID-token validation at the end of a browser login (OIDC Core §3.1.3.7)."""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field

from auth.acr import Acr
from auth.errors import InvalidToken, LoginError
from auth.jwks import JwksCache
from auth.jws import audience_matches, check_issuer_and_time, verified_claims


@dataclass(frozen=True)
class IdTokenClaims:
    """The claims a session is built from."""

    pid: str = field(repr=False)
    sub: str
    acr: Acr
    sid: str | None


async def validate_id_token(
    token: str,
    *,
    jwks: JwksCache,
    issuer: str,
    client_id: str,
    nonce: str,
    minimum_acr: Acr,
    now: float,
    skew_s: float,
) -> IdTokenClaims:
    """Signature, ``iss``, ``aud``/``azp``, time, ``nonce``, ``acr`` and ``pid``, or LoginError."""
    try:
        claims = await verified_claims(token, jwks)
        check_issuer_and_time(claims, issuer=issuer, now=now, skew_s=skew_s)
    except InvalidToken as exc:
        raise LoginError(f"ID token rejected: {exc.description}") from None
    if not audience_matches(claims, client_id):
        raise LoginError("ID token rejected: not issued to this client")
    aud = claims.get("aud")
    if isinstance(aud, list) and len(aud) > 1 and claims.get("azp") != client_id:
        raise LoginError("ID token rejected: authorized party is not this client")
    token_nonce = claims.get("nonce")
    if not isinstance(token_nonce, str) or not hmac.compare_digest(token_nonce, nonce):
        raise LoginError("ID token rejected: nonce does not match the login")
    acr = Acr.parse(claims.get("acr"))
    if acr is None or not acr.satisfies(minimum_acr):
        raise LoginError(f"login level of assurance is below {minimum_acr.value}")
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise LoginError("ID token rejected: no sub")
    pid = claims.get("pid")
    if not isinstance(pid, str) or not pid:
        # Foreign eIDs log in without a Norwegian identity; Min side has nothing to show them.
        raise LoginError("Min side requires a Norwegian national identity number (pid)")
    sid = claims.get("sid")
    return IdTokenClaims(pid=pid, sub=sub, acr=acr, sid=sid if isinstance(sid, str) else None)
