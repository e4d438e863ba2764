"""Signature and time checks shared by access tokens and ID tokens.

Only compact JWS with RS256 and a ``kid`` from the issuer's JWKS is accepted; the header is
inspected before any key is looked up so ``alg: none``, HMAC (which would let a public key
be used as a shared secret) and JWE are refused outright.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError

from auth.errors import InvalidToken
from auth.jwks import JwksCache

ALLOWED_ALGORITHM = "RS256"
MAX_TOKEN_LENGTH = 16 * 1024
# RFC 9068 §2.1: a JWT access token says "at+jwt"; a media type is compared without regard to
# case, and "application/" may be written out (RFC 7515 §4.1.9).
ACCESS_TOKEN_TYPES = frozenset({"at+jwt", "application/at+jwt"})


def _b64url_json(segment: str) -> Any:
    padded = segment + "=" * (-len(segment) % 4)
    try:
        raw = base64.urlsafe_b64decode(padded.encode("ascii"))
        return json.loads(raw)
    except (binascii.Error, UnicodeError, ValueError):
        raise InvalidToken("token is malformed") from None


def unverified_header(token: str) -> dict[str, Any]:
    """The JOSE header of a compact JWS, checked for shape and algorithm but not yet trusted."""
    if len(token) > MAX_TOKEN_LENGTH:
        raise InvalidToken("token is too long")
    parts = token.split(".")
    if len(parts) != 3:
        raise InvalidToken("token is malformed (not a signed JWT)")
    if not all(parts):
        raise InvalidToken("token is malformed (empty segment or unsigned)")
    header = _b64url_json(parts[0])
    if not isinstance(header, dict):
        raise InvalidToken("token is malformed (header is not a JSON object)")
    alg = header.get("alg")
    if alg != ALLOWED_ALGORITHM:
        raise InvalidToken(f"token algorithm must be {ALLOWED_ALGORITHM}")
    if "crit" in header:
        raise InvalidToken("token has unsupported critical header parameters")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise InvalidToken("token has no key id")
    return header


def check_access_token_type(header: dict[str, Any]) -> None:
    """Refuse a token whose JOSE ``typ`` is present and not ``at+jwt`` (RFC 9068 §4).

    This keeps an ID token (``typ: JWT``) or another JWT the issuer signs from being used as an
    access token. An absent ``typ`` passes: Digdir documents only ``kid`` and ``alg`` in the
    header of ID-porten's JWT access tokens, so the check holds only where the issuer sets it.
    """
    if "typ" not in header:
        return
    typ = header["typ"]
    if not isinstance(typ, str) or typ.lower() not in ACCESS_TOKEN_TYPES:
        raise InvalidToken("token is not an access token (typ must be at+jwt)")


async def verified_claims(token: str, jwks: JwksCache) -> dict[str, Any]:
    """The claims of a token whose RS256 signature verifies with a key from the issuer's JWKS."""
    header = unverified_header(token)
    key = await jwks.key(header["kid"])
    if key is None:
        raise InvalidToken("token is signed with an unknown key")
    try:
        decoded = jwt.decode(token, key, algorithms=[ALLOWED_ALGORITHM])
    except (JoseError, ValueError, TypeError):
        raise InvalidToken("token signature or encoding is invalid") from None
    claims = decoded.claims
    if not isinstance(claims, dict):
        raise InvalidToken("token claims are not a JSON object")
    return claims


def _numeric(claims: dict[str, Any], name: str, *, required: bool) -> float | None:
    value = claims.get(name)
    if value is None:
        if required:
            raise InvalidToken(f"token has no {name}")
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidToken(f"token {name} is not a number")
    return float(value)


def check_issuer_and_time(
    claims: dict[str, Any], *, issuer: str, now: float, skew_s: float
) -> None:
    """Exact ``iss``; ``exp`` required and in the future; ``nbf``/``iat`` not in the future."""
    if claims.get("iss") != issuer:
        raise InvalidToken("token issuer is not accepted")
    exp = _numeric(claims, "exp", required=True)
    assert exp is not None
    if exp <= now - skew_s:
        raise InvalidToken("token has expired")
    nbf = _numeric(claims, "nbf", required=False)
    if nbf is not None and nbf > now + skew_s:
        raise InvalidToken("token is not valid yet")
    iat = _numeric(claims, "iat", required=False)
    if iat is not None and iat > now + skew_s:
        raise InvalidToken("token is issued in the future")


def check_token_age(claims: dict[str, Any], *, now: float, max_age_s: float, skew_s: float) -> None:
    """``iat`` required (RFC 9068 §2.2) and no older than ``max_age_s`` plus the skew.

    A token the issuer minted with a long lifetime, or one kept since, is refused once it is
    older than the cap even though its ``exp`` is still ahead. (``iat`` in the future beyond
    the skew is refused by :func:`check_issuer_and_time`.)
    """
    iat = _numeric(claims, "iat", required=True)
    assert iat is not None
    if now - iat > max_age_s + skew_s:
        raise InvalidToken("token was issued too long ago")


def audience_matches(claims: dict[str, Any], audience: str) -> bool:
    """Whether ``aud`` (a string or a list of strings) names ``audience``."""
    aud = claims.get("aud")
    if isinstance(aud, str):
        return aud == audience
    if isinstance(aud, list):
        return audience in aud
    return False
