"""The auth package's view of the settings, with the derived defaults filled in."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from auth.acr import Acr
from kernel.settings import Settings, SettingsError


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of a URL (what browsers send as ``Origin``)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@dataclass(frozen=True)
class AuthConfig:
    """Everything the gateway needs to act as ID-porten client and resource server."""

    issuer: str
    client_id: str
    client_secret: str = field(repr=False)
    client_key_file: Path | None
    client_key_id: str | None
    redirect_uri: str
    post_logout_redirect_uri: str
    scopes: str
    required_scope: str
    audience: str | None
    minimum_acr: Acr
    clock_skew_s: float
    max_token_age_s: float
    metadata_cache_s: float
    jwks_min_refresh_s: float
    frame_ancestors: str
    public_origin: str
    session_idle_timeout_s: float
    session_max_lifetime_s: float
    cookie_name: str
    cookie_secure: bool

    @classmethod
    def from_settings(cls, settings: Settings) -> AuthConfig:
        """Derive the configuration; URLs default to paths under ``public_url``.

        Raises :class:`SettingsError` in production mode without an audience: a bearer token
        without one would be any ID-porten login to any service that asked for our scope.
        """
        if not settings.idporten_audience and not settings.development:
            raise SettingsError(
                "MINSIDE_IDPORTEN_AUDIENCE is required in production mode (MINSIDE_MODE="
                "production, the default): set it to the resource the gateway is registered "
                "with at ID-porten, which bearer tokens must carry as their aud and which login "
                "asks for; or run MINSIDE_MODE=development (local work only)"
            )
        public = str(settings.public_url).rstrip("/")
        issuer = str(settings.idporten_issuer).rstrip("/")
        redirect = settings.idporten_redirect_uri
        post_logout = settings.idporten_post_logout_redirect_uri
        secure = settings.session_cookie_secure
        minimum = Acr.parse(settings.idporten_minimum_acr)
        assert minimum is not None  # the settings type admits only known values
        return cls(
            issuer=issuer,
            client_id=settings.idporten_client_id,
            client_secret=settings.idporten_client_secret.get_secret_value(),
            client_key_file=settings.idporten_client_key_file,
            client_key_id=settings.idporten_client_key_id,
            redirect_uri=str(redirect) if redirect else public + "/auth/callback",
            post_logout_redirect_uri=str(post_logout) if post_logout else public + "/",
            scopes=settings.idporten_scopes,
            required_scope=settings.idporten_required_scope,
            audience=settings.idporten_audience,
            minimum_acr=minimum,
            clock_skew_s=settings.idporten_clock_skew_s,
            max_token_age_s=settings.idporten_max_token_age_s,
            metadata_cache_s=settings.idporten_metadata_cache_s,
            jwks_min_refresh_s=settings.idporten_jwks_min_refresh_s,
            frame_ancestors=settings.idporten_frontchannel_frame_ancestors or origin_of(issuer),
            public_origin=origin_of(public),
            session_idle_timeout_s=settings.session_idle_timeout_s,
            session_max_lifetime_s=settings.session_max_lifetime_s,
            cookie_name=settings.session_cookie_name,
            cookie_secure=public.startswith("https://") if secure is None else secure,
        )
