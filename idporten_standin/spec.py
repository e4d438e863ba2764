"""How the local stack runs the stand-in: the gateway's registration and the server spec.

The gateway's settings refer to these constants (client id, secret, paths); every value can be
overridden through :func:`standin_spec`'s keyword arguments.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from idporten_standin.app import build_app
from idporten_standin.config import RegisteredClient, StandinConfig
from idporten_standin.keys import SigningKeys
from idporten_standin.persons import TestPerson, default_persons
from kernel.partners import Partner, load_partners
from kernel.servers import ServerSpec
from kernel.settings import Settings

GATEWAY_CLIENT_ID = "minside-gateway"
GATEWAY_CLIENT_SECRET = "minside-dev-secret"  # noqa: S105 - development-only, documented secret
GATEWAY_SCOPES: tuple[str, ...] = ("openid", "profile", "minside:api")
CALLBACK_PATH = "/auth/callback"
FRONTCHANNEL_LOGOUT_PATH = "/auth/frontchannel-logout"
# The scope `minside dev-token` asks for by default: what the gateway's API requires.
DEV_API_SCOPE = "openid minside:api"


def gateway_client(gateway_url: str = "http://127.0.0.1:8000") -> RegisteredClient:
    """The gateway's registration (client_secret_basic/post), relative to its public URL."""
    base = gateway_url.rstrip("/")
    return RegisteredClient(
        client_id=GATEWAY_CLIENT_ID,
        client_secret=GATEWAY_CLIENT_SECRET,
        redirect_uris=(f"{base}{CALLBACK_PATH}",),
        post_logout_redirect_uris=(f"{base}/",),
        frontchannel_logout_uri=f"{base}{FRONTCHANNEL_LOGOUT_PATH}",
        scopes=GATEWAY_SCOPES,
    )


def partner_client(partner: Partner) -> RegisteredClient:
    """A partner portal's registration (``MINSIDE_PARTNERS_FILE``): its pages on its origins
    get tokens for the gateway's API (``minside dev-token --client <client_id>``)."""
    return RegisteredClient(
        client_id=partner.client_id,
        redirect_uris=tuple(f"{origin}/" for origin in partner.origins),
        scopes=GATEWAY_SCOPES,
        sector=partner.client_id,
    )


def default_clients(settings: Settings) -> list[RegisteredClient]:
    """The gateway first (the default client of minted tokens), then every partner."""
    partners = load_partners(settings.partners_file, own_client_id=settings.idporten_client_id)
    return [
        gateway_client(str(settings.public_url)),
        *(partner_client(partner) for partner in partners.partners),
    ]


def standin_issuer(settings: Settings) -> str:
    """The stand-in's issuer URL for these settings."""
    return f"http://127.0.0.1:{settings.idporten_standin_port}"


def standin_config(
    settings: Settings,
    *,
    issuer: str | None = None,
    clients: Sequence[RegisteredClient] | None = None,
    key_file: Path | None = None,
    persons: Sequence[TestPerson] | None = None,
) -> StandinConfig:
    """The stand-in configuration the local stack uses; any part can be overridden."""
    return StandinConfig(
        issuer=issuer or standin_issuer(settings),
        clients=list(clients) if clients is not None else default_clients(settings),
        keys=SigningKeys.from_file(key_file) if key_file else SigningKeys.generate(),
        persons=list(persons)
        if persons is not None
        else default_persons(settings.population_seed, settings.population_size),
    )


def standin_spec(
    settings: Settings,
    *,
    issuer: str | None = None,
    clients: Sequence[RegisteredClient] | None = None,
    key_file: Path | None = None,
    persons: Sequence[TestPerson] | None = None,
) -> ServerSpec:
    """The stand-in as a server of the local stack, on ``settings.idporten_standin_port``."""
    config = standin_config(
        settings, issuer=issuer, clients=clients, key_file=key_file, persons=persons
    )
    return ServerSpec(
        "idporten-standin", build_app(config), "127.0.0.1", settings.idporten_standin_port
    )
