"""The auth package assembled: configuration, stores and the issuer clients, per app."""

from __future__ import annotations

import aiohttp

from auth.client import TokenEndpointClient, load_client_key
from auth.clock import Clock, system_clock
from auth.config import AuthConfig
from auth.discovery import Discovery, fetch_json
from auth.jwks import JwksCache
from auth.metadata import MetadataStore
from auth.sessions import SessionStore
from auth.tokens import AccessTokenValidator, TokenPolicy
from kernel.partners import ClientRegistry


class AuthNotStarted(RuntimeError):
    """The issuer clients are used before the app's lifespan opened them."""


class Auth:
    """Everything request handlers need to authenticate; issuer clients bound in the lifespan."""

    def __init__(
        self,
        config: AuthConfig,
        sessions: SessionStore,
        *,
        clock: Clock = system_clock,
        metadata: MetadataStore | None = None,
        clients: ClientRegistry | None = None,
    ) -> None:
        self.config = config
        # Min side's own client and the partners (MINSIDE_PARTNERS_FILE): whose tokens count.
        self.clients = clients if clients is not None else ClientRegistry(config.client_id)
        self.sessions = sessions
        # Shared with the other workers (Redis) when set: the discovery document and JWKS.
        self.metadata = metadata
        self.clock = clock
        # Read at start-up so a broken key file stops the app instead of the first login.
        self._client_key = (
            load_client_key(config.client_key_file, config.client_key_id)
            if config.client_key_file is not None
            else None
        )
        self._discovery: Discovery | None = None
        self._jwks: JwksCache | None = None
        self._validator: AccessTokenValidator | None = None
        self._token_client: TokenEndpointClient | None = None

    def open(self, http: aiohttp.ClientSession) -> None:
        """Bind the issuer clients to the app's HTTP session (nothing is fetched yet)."""
        config = self.config
        discovery = Discovery(
            http,
            config.issuer,
            max_age_s=config.metadata_cache_s,
            clock=self.clock,
            shared=self.metadata,
        )

        async def fetch_jwks() -> dict[str, object]:
            metadata = await discovery.metadata()
            return await fetch_json(http, metadata.jwks_uri, "JWKS")

        jwks = JwksCache(
            fetch_jwks,
            max_age_s=config.metadata_cache_s,
            min_refresh_interval_s=config.jwks_min_refresh_s,
            clock=self.clock,
            shared=self.metadata,
        )
        policy = TokenPolicy(
            required_scope=config.required_scope,
            minimum_acr=config.minimum_acr,
            audience=config.audience,
            clock_skew_s=config.clock_skew_s,
            max_age_s=config.max_token_age_s,
        )
        self._discovery = discovery
        self._jwks = jwks
        self._validator = AccessTokenValidator(
            discovery, jwks, policy, clock=self.clock, clients=self.clients
        )
        self._token_client = TokenEndpointClient(
            http,
            client_id=config.client_id,
            client_secret=config.client_secret,
            client_key=self._client_key,
        )

    def close(self) -> None:
        """Drop the issuer clients (the HTTP session is closed by its owner)."""
        if self._jwks is not None:
            self._jwks.close()  # a background refresh must not outlive the HTTP session
        self._discovery = self._jwks = self._validator = self._token_client = None

    @property
    def discovery(self) -> Discovery:
        """The issuer's metadata."""
        if self._discovery is None:
            raise AuthNotStarted("auth used outside the app lifespan")
        return self._discovery

    @property
    def jwks(self) -> JwksCache:
        """The issuer's signing keys."""
        if self._jwks is None:
            raise AuthNotStarted("auth used outside the app lifespan")
        return self._jwks

    @property
    def validator(self) -> AccessTokenValidator:
        """Bearer-token validation."""
        if self._validator is None:
            raise AuthNotStarted("auth used outside the app lifespan")
        return self._validator

    @property
    def token_client(self) -> TokenEndpointClient:
        """The token endpoint client."""
        if self._token_client is None:
            raise AuthNotStarted("auth used outside the app lifespan")
        return self._token_client
