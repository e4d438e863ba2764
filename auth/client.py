"""The gateway as OIDC client at ID-porten's token endpoint (authorization code + PKCE)."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
from joserfc import jwt
from joserfc.jwk import RSAKey

from auth.errors import IssuerUnavailable, LoginError
from auth.sessions import new_secret

TOKEN_TIMEOUT_S = 10.0
ASSERTION_LIFETIME_S = 60


def pkce_challenge(verifier: str) -> str:
    """The S256 code challenge for a PKCE verifier (RFC 7636 §4.2)."""
    hashed = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(hashed).rstrip(b"=").decode("ascii")


def load_client_key(path: Path, kid: str | None) -> RSAKey:
    """The private_key_jwt signing key from a PEM or JWK file."""
    text = path.read_text(encoding="utf-8")
    # A JWK file is JSON; anything else is taken as PEM.
    key = RSAKey.import_key(json.loads(text) if text.lstrip().startswith("{") else text)
    if not key.is_private:
        raise ValueError("the private_key_jwt key file must hold a private RSA key")
    if kid:
        key = RSAKey.import_key(key.as_dict(private=True) | {"kid": kid})
    else:
        key.ensure_kid()
    return key


class TokenEndpointClient:
    """Exchanges authorization codes, authenticating with a secret or private_key_jwt."""

    def __init__(
        self,
        http: aiohttp.ClientSession,
        *,
        client_id: str,
        client_secret: str,
        client_key: RSAKey | None = None,
    ) -> None:
        self._http = http
        self._client_id = client_id
        self._client_secret = client_secret
        self._client_key = client_key

    def _assertion(self, audience: str) -> str:
        assert self._client_key is not None
        now = int(time.time())
        claims = {
            "iss": self._client_id,
            "sub": self._client_id,
            "aud": audience,  # ID-porten wants its issuer identifier here
            "iat": now,
            "exp": now + ASSERTION_LIFETIME_S,
            "jti": new_secret(),
        }
        header = {"alg": "RS256", "kid": str(self._client_key.kid)}
        return jwt.encode(header, claims, self._client_key, algorithms=["RS256"])

    async def exchange_code(
        self,
        *,
        token_endpoint: str,
        issuer: str,
        code: str,
        redirect_uri: str,
        code_verifier: str,
    ) -> dict[str, Any]:
        """The token response for an authorization code; :class:`LoginError` if refused."""
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": code_verifier,
        }
        headers = {"Accept": "application/json"}
        if self._client_key is not None:
            form["client_assertion_type"] = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
            form["client_assertion"] = self._assertion(issuer)
        else:
            # RFC 6749 §2.3.1: form-encode id and secret before Basic encoding.
            raw = f"{quote(self._client_id, safe='')}:{quote(self._client_secret, safe='')}"
            headers["Authorization"] = "Basic " + base64.b64encode(raw.encode()).decode("ascii")
        try:
            async with self._http.post(
                token_endpoint,
                data=form,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=TOKEN_TIMEOUT_S),
            ) as response:
                body = await response.json(content_type=None)
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise IssuerUnavailable(f"token endpoint unreachable ({type(exc).__name__})") from None
        except ValueError:
            raise LoginError("token endpoint answered with something that is not JSON") from None
        if not isinstance(body, dict):
            raise LoginError("token endpoint answered with something that is not a JSON object")
        if status != 200:
            error = body.get("error")
            code_text = error if isinstance(error, str) and error.isascii() else "unknown"
            raise LoginError(f"token endpoint refused the code ({code_text[:40]})")
        return body
