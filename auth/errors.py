"""The exceptions of the auth package.

Every message here may be shown to the caller (in a ``WWW-Authenticate`` header or a JSON
error), so none of them may ever contain a token, a session id or a fødselsnummer.
"""

from __future__ import annotations

from auth.acr import Acr


class AuthError(Exception):
    """Base of every authentication failure."""

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


class InvalidToken(AuthError):
    """The token is malformed, forged, expired, for someone else, or lacks a required claim."""


class InsufficientScope(AuthError):
    """The token is valid but was not issued for this API's scope (RFC 6750: 403)."""

    def __init__(self, description: str, scope: str) -> None:
        super().__init__(description)
        self.scope = scope


class InsufficientAuthentication(AuthError):
    """The login's level of assurance is below what is required (RFC 9470 step-up)."""

    def __init__(self, description: str, required: Acr) -> None:
        super().__init__(description)
        self.required = required


class IssuerUnavailable(AuthError):
    """ID-porten's discovery document or JWKS could not be fetched (not the caller's fault)."""


class SessionStoreUnavailable(AuthError):
    """The shared session store (Redis) did not answer (not the caller's fault)."""


class LoginError(AuthError):
    """A browser login callback cannot be completed (bad state, issuer, code or ID token)."""


class CsrfRefused(AuthError):
    """A cookie-authenticated request that a cross-site page could have forged."""
