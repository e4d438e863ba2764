"""The stand-in's signing keys: one active RSA key plus recently retired ones, all published.

ID-porten rotates its signing key by publishing the new key next to the old one; tokens signed
with the old key stay verifiable until they expire. :class:`SigningKeys` models exactly that so
the gateway's JWKS refresh-on-unknown-kid logic can be tested.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from joserfc.jwk import KeyParameters, KeySet, RSAKey

ALGORITHM = "RS256"
_KEY_PARAMETERS: KeyParameters = {"use": "sig", "alg": ALGORITHM}


def generate_rsa_key() -> RSAKey:
    """A fresh 2048-bit RSA signing key with its RFC 7638 thumbprint as kid."""
    return RSAKey.generate_key(2048, parameters=KeyParameters(**_KEY_PARAMETERS), auto_kid=True)


def _import(value: str | dict[str, Any]) -> RSAKey:
    key = RSAKey.import_key(value, parameters=KeyParameters(**_KEY_PARAMETERS))
    if not key.is_private:
        raise ValueError("a signing key must be a private RSA key")
    if not key.kid:
        key.ensure_kid()
    return key


class SigningKeys:
    """A key ring: the active private key signs, the previous keys are only published."""

    def __init__(self, active: RSAKey, previous: list[RSAKey] | None = None, keep: int = 2):
        self._active = active
        self._previous = list(previous or [])[:keep]
        self._keep = keep

    @classmethod
    def generate(cls) -> SigningKeys:
        """A key ring with one freshly generated key (the default: nothing to configure)."""
        return cls(generate_rsa_key())

    @classmethod
    def from_file(cls, path: Path) -> SigningKeys:
        """Load a PEM private key, a private JWK, or a JWKS whose first key is the active one."""
        text = path.read_text(encoding="utf-8")
        if text.lstrip().startswith("{"):
            data = json.loads(text)
            items = data.get("keys", [data])
            keys = [_import(item) for item in items]
            return cls(keys[0], keys[1:], keep=max(2, len(keys) - 1))
        return cls(_import(text))

    @property
    def active(self) -> RSAKey:
        """The key that signs new tokens."""
        return self._active

    @property
    def active_kid(self) -> str:
        """The kid of the active key (in every new token's header)."""
        return str(self._active.kid)

    @property
    def kids(self) -> list[str]:
        """Every published kid, active first."""
        return [str(key.kid) for key in (self._active, *self._previous)]

    def rotate(self, new_key: RSAKey | None = None) -> str:
        """Make a new key active, keep the old one published; return the new kid."""
        self._previous = [self._active, *self._previous][: self._keep]
        self._active = new_key if new_key is not None else generate_rsa_key()
        return self.active_kid

    def public_jwks(self) -> dict[str, Any]:
        """The JWKS document served at ``/jwks`` (public parts only)."""
        key_set = KeySet([self._active, *self._previous])
        return dict(key_set.as_dict(private=False))

    def public_key_set(self) -> KeySet:
        """The published keys as a joserfc KeySet (for verifying our own tokens)."""
        return KeySet.import_key_set(self.public_jwks())  # type: ignore[arg-type]

    def sign_header(self, typ: str = "JWT") -> dict[str, str]:
        """The JOSE header for a token signed by the active key."""
        return {"alg": ALGORITHM, "kid": self.active_kid, "typ": typ}
