"""Configuration of the stand-in: issuer, registered clients, keys, lifetimes and test persons."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from idporten_standin.keys import SigningKeys
from idporten_standin.persons import TestPerson, default_persons

LOA_SUBSTANTIAL = "idporten-loa-substantial"
LOA_HIGH = "idporten-loa-high"
ACR_VALUES: tuple[str, ...] = (LOA_SUBSTANTIAL, LOA_HIGH)
UI_LOCALES: tuple[str, ...] = ("nb", "nn", "en", "se")

SECRET_METHODS = ("client_secret_basic", "client_secret_post")
PRIVATE_KEY_JWT = "private_key_jwt"


@dataclass(frozen=True)
class RegisteredClient:
    """An OIDC client registered at the stand-in (what Digdir's self-service portal holds).

    A client authenticates at the token endpoint with ``client_secret`` (basic or post), with
    ``jwks`` (private_key_jwt: a JWKS of its public keys), or either when both are set.
    """

    client_id: str
    redirect_uris: tuple[str, ...]
    client_secret: str | None = None
    jwks: dict[str, Any] | None = None
    post_logout_redirect_uris: tuple[str, ...] = ()
    frontchannel_logout_uri: str | None = None
    scopes: tuple[str, ...] = ("openid", "profile")
    # The organisation in the access token's `consumer` claim (a synthetic 9-digit orgno).
    organization_number: str = "999888777"
    # Pairwise `sub` is computed per sector; default: the host of the first redirect URI.
    sector: str | None = None

    @property
    def auth_methods(self) -> tuple[str, ...]:
        """The token endpoint authentication methods this client may use."""
        methods: tuple[str, ...] = ()
        if self.client_secret:
            methods += SECRET_METHODS
        if self.jwks:
            methods += (PRIVATE_KEY_JWT,)
        return methods

    @property
    def sector_identifier(self) -> str:
        """The sector that `sub` is pairwise to."""
        if self.sector:
            return self.sector
        return urlsplit(self.redirect_uris[0]).netloc if self.redirect_uris else self.client_id


@dataclass
class StandinConfig:
    """Everything a stand-in instance needs; the keys object is shared and mutable (rotation)."""

    issuer: str
    clients: Sequence[RegisteredClient]
    keys: SigningKeys = field(default_factory=SigningKeys.generate)
    persons: Sequence[TestPerson] = field(default_factory=default_persons)
    id_token_lifetime_s: int = 120
    access_token_lifetime_s: int = 600
    code_lifetime_s: int = 60
    sso_session_lifetime_s: int = 7200
    # Call each front-channel logout URI from the server too, so tests and headless clients see
    # the logout without a browser rendering the iframes.
    server_side_frontchannel: bool = True
    frontchannel_timeout_s: float = 3.0
    # Secret that makes `sub` pairwise; fixed by default so `sub` is stable across restarts.
    pairwise_secret: str = "minside-idporten-standin"  # noqa: S105 - not a credential
    # Enables POST /_admin/tokens and /_admin/rotate-keys (loopback callers only).
    admin_enabled: bool = True

    def __post_init__(self) -> None:
        self.issuer = self.issuer.rstrip("/")

    def client(self, client_id: str) -> RegisteredClient | None:
        """The registered client with this id, if any."""
        for client in self.clients:
            if client.client_id == client_id:
                return client
        return None

    def person(self, pid: str) -> TestPerson | None:
        """The test person with this pid, if any."""
        for person in self.persons:
            if person.pid == pid:
                return person
        return None

    def endpoint(self, path: str) -> str:
        """Absolute URL of one of the stand-in's endpoints."""
        return f"{self.issuer}{path}"
