"""The stand-in's Starlette app: discovery, JWKS, authorize, token, end-session, admin.

Endpoints mirror ID-porten's (``/authorize``, ``/token``, ``/jwks``, ``/endsession``) so a client
configured from discovery needs nothing but a different issuer URL. Admin endpoints under
``/_admin`` (loopback callers only) mint tokens for ``minside dev-token`` and rotate keys.
"""

from __future__ import annotations

import ipaddress
import json
import secrets
import time
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from idporten_standin.config import (
    ACR_VALUES,
    LOA_HIGH,
    LOA_SUBSTANTIAL,
    PRIVATE_KEY_JWT,
    SECRET_METHODS,
    UI_LOCALES,
    StandinConfig,
)
from idporten_standin.frontchannel import call_frontchannel, frontchannel_url
from idporten_standin.oauth import (
    InvalidRequestError,
    OAuth2Error,
    StandinAuthorizationServer,
    StarletteOAuth2Request,
    read_oauth2_request,
)
from idporten_standin.pages import error_page, logout_page, picker_page
from idporten_standin.persons import is_valid_pid
from idporten_standin.store import Login, SsoSession, Store, acr_satisfies
from idporten_standin.tokens import mint_access_token

SSO_COOKIE = "idporten_standin_sso"
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class Standin:
    """One running provider: configuration, in-memory state and the authlib server."""

    def __init__(self, config: StandinConfig):
        self.config = config
        self.store = Store()
        self.server = StandinAuthorizationServer(config, self.store)

    def discovery(self) -> dict[str, Any]:
        """The OpenID Provider metadata, shaped like ID-porten's."""
        config = self.config
        scopes = sorted({scope for client in config.clients for scope in client.scopes})
        return {
            "issuer": config.issuer,
            "authorization_endpoint": config.endpoint("/authorize"),
            "token_endpoint": config.endpoint("/token"),
            "jwks_uri": config.endpoint("/jwks"),
            "end_session_endpoint": config.endpoint("/endsession"),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["pairwise"],
            "scopes_supported": scopes,
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": [*SECRET_METHODS, PRIVATE_KEY_JWT],
            "token_endpoint_auth_signing_alg_values_supported": ["RS256", "RS384", "RS512"],
            "code_challenge_methods_supported": ["S256"],
            "acr_values_supported": list(ACR_VALUES),
            "ui_locales_supported": list(UI_LOCALES),
            "claims_supported": [
                "iss",
                "aud",
                "sub",
                "pid",
                "acr",
                "amr",
                "sid",
                "locale",
                "nonce",
                "auth_time",
                "iat",
                "exp",
                "jti",
            ],
            "frontchannel_logout_supported": True,
            "frontchannel_logout_session_supported": True,
            "authorization_response_iss_parameter_supported": True,
            "request_parameter_supported": False,
        }

    def rotate_keys(self) -> str:
        """Activate a new signing key (the old one stays in the JWKS); return its kid."""
        return self.config.keys.rotate()

    def issue_access_token(
        self,
        pid: str,
        acr: str = LOA_SUBSTANTIAL,
        scope: str = "openid",
        aud: str | list[str] | None = None,
        *,
        client_id: str | None = None,
        lifetime_s: int | None = None,
    ) -> str:
        """An access token as the token endpoint would issue it, without a browser login."""
        return issue_access_token(
            self.config, pid, acr, scope, aud, client_id=client_id, lifetime_s=lifetime_s
        )


def issue_access_token(
    source: StandinConfig | Standin | Starlette,
    pid: str,
    acr: str = LOA_SUBSTANTIAL,
    scope: str = "openid",
    aud: str | list[str] | None = None,
    *,
    client_id: str | None = None,
    lifetime_s: int | None = None,
) -> str:
    """Mint an access token signed by the stand-in's active key, for tests and ``dev-token``.

    `source` is the config, the :class:`Standin`, or the app from :func:`build_app`; the token is
    issued to `client_id` (default: the first registered client).
    """
    resolved: StandinConfig | Standin = (
        source.state.standin if isinstance(source, Starlette) else source
    )
    config = resolved.config if isinstance(resolved, Standin) else resolved
    if not is_valid_pid(pid):
        raise ValueError("pid must be 11 digits with valid check digits")
    if acr not in ACR_VALUES:
        raise ValueError(f"acr must be one of {', '.join(ACR_VALUES)}")
    if client_id:
        client = config.client(client_id)
    else:
        client = config.clients[0] if config.clients else None
    if client is None:
        raise ValueError("no such registered client")
    return mint_access_token(
        config, client, pid, acr=acr, scope=scope, aud=aud, lifetime_s=lifetime_s
    )


# --- helpers --------------------------------------------------------------------------------


def _standin(request: Request) -> Standin:
    standin: Standin = request.app.state.standin
    return standin


def _requested_acr(acr_values: str | None) -> str:
    """The lowest acceptable level among `acr_values` (default substantial)."""
    values = (acr_values or "").split()
    if not values:
        return LOA_SUBSTANTIAL
    known = [value for value in values if value in ACR_VALUES]
    if not known:
        raise InvalidRequestError("Unsupported 'acr_values'.")
    return LOA_SUBSTANTIAL if LOA_SUBSTANTIAL in known else LOA_HIGH


def _locale(ui_locales: str | None) -> str:
    for value in (ui_locales or "").split():
        if value in UI_LOCALES:
            return value
    return "nb"


def _oauth_error(standin: Standin, request: StarletteOAuth2Request, error: Any) -> Response:
    """Redirect to a validated redirect URI, else show the error here (never redirect blindly)."""
    if error.redirect_uri:
        return standin.server.error_redirect(request, error).to_starlette()
    return HTMLResponse(
        error_page(error.error, error.description), status_code=error.status_code or 400
    )


def _is_loopback(request: Request) -> bool:
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# --- endpoints ------------------------------------------------------------------------------


async def openid_configuration(request: Request) -> Response:
    """``/.well-known/openid-configuration``."""
    return JSONResponse(_standin(request).discovery())


async def jwks(request: Request) -> Response:
    """``/jwks``: the active and the recently retired public keys."""
    return JSONResponse(
        _standin(request).config.keys.public_jwks(), headers={"Cache-Control": "max-age=60"}
    )


async def healthz(request: Request) -> Response:
    """Liveness for the demo's start-up checks."""
    return JSONResponse({"status": "ok"})


async def authorize(request: Request) -> Response:
    """``/authorize``: validate, then log in by SSO, by ``login_hint``, or with the picker."""
    standin = _standin(request)
    config, store, server = standin.config, standin.store, standin.server
    oreq = await read_oauth2_request(request)
    data = oreq.payload.data
    session = store.session(request.cookies.get(SSO_COOKIE))
    try:
        grant = server.get_consent_grant(oreq, end_user=session.login if session else None)
    except OAuth2Error as error:
        error.state = data.get("state")
        return _oauth_error(standin, oreq, error)
    try:
        want = _requested_acr(data.get("acr_values"))
    except OAuth2Error as error:
        error.state, error.redirect_uri = data.get("state"), grant.redirect_uri
        return _oauth_error(standin, oreq, error)

    prompts = set((data.get("prompt") or "").split())
    action = data.get("standin_action") if request.method == "POST" else None
    login: Login | None = None
    if action == "cancel":
        denied: Response = server.create_authorization_response(oreq, None, grant).to_starlette()
        return denied
    if action == "login":
        pid, acr = data.get("standin_pid", ""), data.get("standin_acr", want)
        if config.person(pid) is None or acr not in ACR_VALUES or not acr_satisfies(acr, want):
            return HTMLResponse(error_page("invalid_request", "Unknown person or level."), 400)
        login = _new_login(pid, acr, data)
    elif session and "login" not in prompts and acr_satisfies(session.login.acr, want):
        login = session.login  # SSO: the provider's session answers without asking again
    elif (hint := data.get("login_hint")) and is_valid_pid(hint):
        login = _new_login(hint, want, data)  # automation: no page

    if login is None:
        if "none" in prompts:
            required = OAuth2Error(
                error="login_required", state=data.get("state"), redirect_uri=grant.redirect_uri
            )
            return _oauth_error(standin, oreq, required)
        acr_options = [acr for acr in ACR_VALUES if acr_satisfies(acr, want)]
        page = picker_page(
            "/authorize",
            [(k, v) for k, values in oreq.payload.datalist.items() for v in values],
            list(config.persons),
            acr_options,
            want,
            data.get("client_id", ""),
        )
        return HTMLResponse(page, headers=_NO_STORE)

    new_session: SsoSession | None = None
    if session is None or login is not session.login:
        if session is not None:
            store.end_session(session)
        new_session = store.new_session(login, config.sso_session_lifetime_s)
    response: Response = server.create_authorization_response(oreq, login, grant).to_starlette()
    if new_session is not None:
        response.set_cookie(
            SSO_COOKIE,
            new_session.session_id,
            max_age=config.sso_session_lifetime_s,
            httponly=True,
            secure=config.issuer.startswith("https://"),
            samesite="lax",
        )
    return response


def _new_login(pid: str, acr: str, data: dict[str, str]) -> Login:
    return Login(
        pid=pid,
        acr=acr,
        auth_time=int(time.time()),
        sid=secrets.token_urlsafe(16),
        locale=_locale(data.get("ui_locales")),
    )


async def token(request: Request) -> Response:
    """``/token``: the authorization code grant."""
    server = _standin(request).server
    oreq = await read_oauth2_request(request)
    response: Response = server.create_token_response(oreq).to_starlette()
    return response


async def endsession(request: Request) -> Response:
    """``/endsession``: end the SSO session, log out every participant, return to the client.

    Takes the parameters by GET or as a POSTed form (RP-Initiated Logout 1.0 §2; the gateway
    posts, so the ID token stays out of URLs). A cross-site POST brings no SameSite=Lax SSO
    cookie, so the session is then found from the ``sid`` of the validated ``id_token_hint``.
    """
    standin = _standin(request)
    config, store = standin.config, standin.store
    oreq = await read_oauth2_request(request)
    try:
        validated = standin.server.validate_endpoint_request("end_session", oreq)
    except OAuth2Error as error:
        return HTMLResponse(error_page(error.error, error.description), 400)
    redirect_to: str | None = validated.redirect_uri
    if oreq.payload.data.get("post_logout_redirect_uri") and redirect_to is None:
        description = (
            "post_logout_redirect_uri is not registered for the client "
            "(or id_token_hint is missing)."
        )
        return HTMLResponse(error_page("invalid_request", description), 400)

    session = store.session(request.cookies.get(SSO_COOKIE))
    claims = validated.id_token_claims or {}
    if session is None and claims.get("sid"):
        session = store.session_by_sid(str(claims["sid"]))
    urls: list[str] = []
    if session is not None:
        store.end_session(session)
        for client_id in session.participants:
            client = config.client(client_id)
            if client is not None and client.frontchannel_logout_uri:
                urls.append(
                    frontchannel_url(
                        client.frontchannel_logout_uri, config.issuer, session.login.sid
                    )
                )
    if config.server_side_frontchannel:
        await call_frontchannel(urls, config.frontchannel_timeout_s)

    response: Response
    if urls or redirect_to is None:
        response = HTMLResponse(logout_page(urls, redirect_to), headers=_NO_STORE)
    else:
        response = RedirectResponse(redirect_to, status_code=302)
    response.delete_cookie(SSO_COOKIE, httponly=True, samesite="lax")
    return response


async def admin_tokens(request: Request) -> Response:
    """``POST /_admin/tokens`` (loopback only): mint an access token for ``minside dev-token``."""
    standin = _standin(request)
    if not standin.config.admin_enabled or not _is_loopback(request):
        return JSONResponse({"error": "forbidden"}, 403)
    try:
        body = await request.json()
    except json.JSONDecodeError:
        body = None
    if not isinstance(body, dict):
        return JSONResponse({"error": "invalid_request", "error_description": "JSON object"}, 400)
    lifetime = body.get("lifetime_s")
    aud = body.get("aud")
    try:
        if lifetime is not None and (not isinstance(lifetime, int) or lifetime < 1):
            raise ValueError("lifetime_s must be a positive integer")
        if aud is not None and not isinstance(aud, str | list):
            raise ValueError("aud must be a string or a list of strings")
        token_value = standin.issue_access_token(
            str(body.get("pid", "")),
            str(body.get("acr", LOA_SUBSTANTIAL)),
            str(body.get("scope", "openid")),
            aud,
            client_id=body.get("client_id"),
            lifetime_s=lifetime,
        )
    except ValueError as exc:
        return JSONResponse({"error": "invalid_request", "error_description": str(exc)}, 400)
    expires_in = lifetime or standin.config.access_token_lifetime_s
    return JSONResponse(
        {"access_token": token_value, "token_type": "Bearer", "expires_in": expires_in},
        headers=_NO_STORE,
    )


async def admin_rotate_keys(request: Request) -> Response:
    """``POST /_admin/rotate-keys`` (loopback only): activate a new signing key."""
    standin = _standin(request)
    if not standin.config.admin_enabled or not _is_loopback(request):
        return JSONResponse({"error": "forbidden"}, 403)
    kid = standin.rotate_keys()
    return JSONResponse({"kid": kid, "kids": standin.config.keys.kids})


def build_app(config: StandinConfig) -> Starlette:
    """The stand-in as an ASGI app; ``app.state.standin`` is its :class:`Standin`."""
    routes = [
        Route("/.well-known/openid-configuration", openid_configuration, methods=["GET"]),
        Route("/jwks", jwks, methods=["GET"]),
        Route("/authorize", authorize, methods=["GET", "POST"]),
        Route("/token", token, methods=["POST"]),
        Route("/endsession", endsession, methods=["GET", "POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/_admin/tokens", admin_tokens, methods=["POST"]),
        Route("/_admin/rotate-keys", admin_rotate_keys, methods=["POST"]),
    ]
    app = Starlette(routes=routes)
    app.state.standin = Standin(config)
    return app
