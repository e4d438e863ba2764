"""Minting ID-porten-shaped access tokens and the claims shared with ID tokens.

Access tokens are JWTs like ID-porten's (``typ: at+jwt``): ``iss``, ``client_id``, ``consumer``,
``pid``, ``acr``, ``scope``, ``iat``, ``exp``, ``jti`` and ``aud`` only when the client asked for
a resource (RFC 8707). Signing goes through joserfc with the active key of the key ring.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from typing import Any

from joserfc import jwt

from idporten_standin.config import LOA_SUBSTANTIAL, RegisteredClient, StandinConfig

CONSUMER_AUTHORITY = "iso6523-actorid-upis"
ORGNO_SCHEME = "0192"  # ISO 6523 ICD of the Norwegian organisation number register


def new_jti() -> str:
    """A unique token id."""
    return secrets.token_urlsafe(24)


def pairwise_sub(config: StandinConfig, client: RegisteredClient, pid: str) -> str:
    """``sub`` for `pid` as seen by `client`: stable per sector, unlinkable across sectors."""
    message = f"{client.sector_identifier}|{pid}".encode()
    digest = hmac.new(config.pairwise_secret.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def consumer_claim(client: RegisteredClient) -> dict[str, str]:
    """The ``consumer`` claim: the organisation that owns the client."""
    return {"authority": CONSUMER_AUTHORITY, "ID": f"{ORGNO_SCHEME}:{client.organization_number}"}


def sign(config: StandinConfig, claims: dict[str, Any], typ: str = "JWT") -> str:
    """Sign `claims` with the active key (RS256, kid in the header)."""
    return jwt.encode(config.keys.sign_header(typ), claims, config.keys.active, ["RS256"])


def access_token_claims(
    config: StandinConfig,
    client: RegisteredClient,
    pid: str,
    *,
    acr: str = LOA_SUBSTANTIAL,
    scope: str = "openid",
    aud: str | list[str] | None = None,
    lifetime_s: int | None = None,
    now: int | None = None,
) -> dict[str, Any]:
    """The claims of an access token for `pid` issued to `client`."""
    issued_at = int(time.time()) if now is None else now
    lifetime = config.access_token_lifetime_s if lifetime_s is None else lifetime_s
    claims: dict[str, Any] = {
        "iss": config.issuer,
        "client_id": client.client_id,
        "consumer": consumer_claim(client),
        "pid": pid,
        "acr": acr,
        "scope": scope,
        "iat": issued_at,
        "exp": issued_at + lifetime,
        "jti": new_jti(),
    }
    if aud:
        claims["aud"] = aud
    return claims


def mint_access_token(
    config: StandinConfig,
    client: RegisteredClient,
    pid: str,
    *,
    acr: str = LOA_SUBSTANTIAL,
    scope: str = "openid",
    aud: str | list[str] | None = None,
    lifetime_s: int | None = None,
) -> str:
    """A signed access token JWT (see :func:`access_token_claims`)."""
    claims = access_token_claims(
        config, client, pid, acr=acr, scope=scope, aud=aud, lifetime_s=lifetime_s
    )
    return sign(config, claims, typ="at+jwt")
