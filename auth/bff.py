"""Backend-for-frontend login: the gateway is the OIDC client, the browser holds a cookie.

Routes: ``GET /auth/login`` → ID-porten (code + PKCE S256 + state + nonce), ``GET
/auth/callback`` → server-side session, ``POST /auth/logout`` → ID-porten's end-session
endpoint (by a form POST: the ID token, whose ``pid`` anyone can read, never goes into a URL),
``GET /auth/frontchannel-logout`` ← ID-porten's single logout iframe.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import logging
import re
from collections.abc import Awaitable, Callable
from html import escape
from typing import Final
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from auth import csrf
from auth.acr import Acr
from auth.client import pkce_challenge
from auth.config import origin_of
from auth.errors import IssuerUnavailable, LoginError, SessionStoreUnavailable
from auth.idtoken import validate_id_token
from auth.middleware import error_response
from auth.service import Auth
from auth.sessions import PendingLogin, SessionData, digest, new_secret

log = logging.getLogger(__name__)

UI_LOCALES = frozenset({"nb", "nn", "en", "se"})
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
_ERROR_CODE = re.compile(r"[a-z_]{1,40}")
_MAX_RETURN_TO = 512


def safe_return_to(value: str | None) -> str:
    """A same-site relative path to come back to after login; anything else becomes ``/``.

    Refuses absolute and scheme-relative URLs (``//evil``, ``/\\evil``) and control characters,
    so the login cannot be abused as an open redirect.
    """
    if not value or len(value) > _MAX_RETURN_TO:
        return "/"
    if not value.startswith("/") or value.startswith(("//", "/\\")):
        return "/"
    if any(ord(ch) < 0x21 or ch == "\\" for ch in value):
        return "/"
    return value


# Submits the logout form at once; without JavaScript the citizen presses its button.
_SUBMIT_SCRIPT: Final = "document.getElementById('logout').submit();"
_SUBMIT_SCRIPT_HASH: Final = (
    "'sha256-" + base64.b64encode(hashlib.sha256(_SUBMIT_SCRIPT.encode()).digest()).decode() + "'"
)


def end_session_form(end_session_endpoint: str, params: dict[str, str], return_to: str) -> Response:
    """RP-initiated logout by POST (OpenID Connect RP-Initiated Logout 1.0 §2): a page whose
    form posts `params` to ID-porten's end-session endpoint, submitted by a script the page's
    CSP allows by hash, or by its button without JavaScript.

    A GET with ``id_token_hint`` in the URL would put the ID token (and its ``pid``) in the
    browser's history, in ID-porten's access logs and in any proxy's; a form body is in none.
    The CSP lets the form go only to the end-session endpoint and the page it returns to.
    """
    fields = "".join(
        f"<input type='hidden' name='{escape(name)}' value='{escape(value)}'>"
        for name, value in params.items()
    )
    body = (
        "<!doctype html><html lang='nb'><meta charset='utf-8'>"
        "<meta name='referrer' content='no-referrer'><title>Logger ut</title>"
        "<h1>Logger ut</h1>"
        f"<form id='logout' method='post' action='{escape(end_session_endpoint)}'>{fields}"
        "<p>Du blir sendt videre til ID-porten for å logge ut der også.</p>"
        "<button type='submit'>Fortsett utloggingen</button></form>"
        f"<script>{_SUBMIT_SCRIPT}</script></html>"
    )
    targets = " ".join(dict.fromkeys([origin_of(end_session_endpoint), origin_of(return_to)]))
    csp = "; ".join(
        [
            "default-src 'none'",
            f"script-src {_SUBMIT_SCRIPT_HASH}",
            f"form-action {targets}",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        ]
    )
    headers = NO_STORE | {
        "Content-Security-Policy": csp,
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
    }
    return HTMLResponse(body, 200, headers=headers)


def _page(status: int, title: str, message: str) -> HTMLResponse:
    body = (
        "<!doctype html><html lang='nb'><meta charset='utf-8'>"
        f"<title>{escape(title)}</title><h1>{escape(title)}</h1><p>{escape(message)}</p>"
        "<p><a href='/auth/login'>Logg inn på nytt</a></p></html>"
    )
    return HTMLResponse(body, status, headers=NO_STORE)


def _store_guarded(
    endpoint: Callable[[Request], Awaitable[Response]],
) -> Callable[[Request], Awaitable[Response]]:
    """The endpoint, answering 503 ``AUTH_UNAVAILABLE`` while the session store is down."""

    @functools.wraps(endpoint)
    async def guarded(request: Request) -> Response:
        try:
            return await endpoint(request)
        except SessionStoreUnavailable as exc:
            log.warning("%s: %s", request.url.path, exc.description)
            return error_response(exc)

    return guarded


class BffRoutes:
    """The four /auth endpoints, bound to one :class:`Auth`."""

    def __init__(self, auth: Auth) -> None:
        self.auth = auth
        self.login_cookie = auth.config.cookie_name + "_login"

    def routes(self) -> list[Route]:
        """Starlette routes for the app."""
        return [
            Route("/auth/login", _store_guarded(self.login), methods=["GET"]),
            Route("/auth/callback", _store_guarded(self.callback), methods=["GET"]),
            Route("/auth/logout", _store_guarded(self.logout), methods=["POST"]),
            Route(
                "/auth/frontchannel-logout",
                _store_guarded(self.frontchannel_logout),
                methods=["GET"],
            ),
        ]

    def _set_cookie(self, response: Response, name: str, value: str, max_age: int | None) -> None:
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            path="/",
            secure=self.auth.config.cookie_secure,
            httponly=True,
            samesite="lax",
        )

    def _clear_cookie(self, response: Response, name: str) -> None:
        response.delete_cookie(
            name, path="/", secure=self.auth.config.cookie_secure, httponly=True, samesite="lax"
        )

    async def login(self, request: Request) -> Response:
        """Start a login: remember state/nonce/verifier server-side, redirect to ID-porten."""
        config = self.auth.config
        acr_param = request.query_params.get("acr")
        acr = config.minimum_acr
        if acr_param is not None:
            requested = Acr.parse(acr_param)
            if requested is None:
                return _page(400, "Ugyldig innlogging", "unknown level of assurance (acr)")
            # Never log in below the configured minimum, whatever the link asks for.
            acr = requested if requested.satisfies(config.minimum_acr) else config.minimum_acr
        try:
            metadata = await self.auth.discovery.metadata()
        except IssuerUnavailable as exc:
            log.warning("login not started: %s", exc.description)
            return _page(503, "ID-porten er utilgjengelig", "prøv igjen om litt")
        state, nonce, verifier, binding = new_secret(), new_secret(), new_secret(), new_secret()
        await self.auth.sessions.put_login(
            state,
            PendingLogin(
                browser_binding=digest(binding),
                nonce=nonce,
                code_verifier=verifier,
                acr=acr,
                return_to=safe_return_to(request.query_params.get("return_to")),
                created_at=self.auth.clock(),
            ),
        )
        params = {
            "client_id": config.client_id,
            "response_type": "code",
            "scope": config.scopes,
            "redirect_uri": config.redirect_uri,
            "state": state,
            "nonce": nonce,
            "code_challenge": pkce_challenge(verifier),
            "code_challenge_method": "S256",
            "acr_values": acr.value,
        }
        ui_locales = request.query_params.get("ui_locales")
        if ui_locales in UI_LOCALES:
            params["ui_locales"] = ui_locales
        if config.audience is not None:
            params["resource"] = config.audience
        response = RedirectResponse(
            metadata.authorization_endpoint + "?" + urlencode(params), 302, headers=NO_STORE
        )
        self._set_cookie(response, self.login_cookie, binding, max_age=600)
        return response

    async def callback(self, request: Request) -> Response:
        """Finish a login: one-time state, ``iss``, code exchange, ID token, new session."""
        try:
            return await self._finish_login(request)
        except LoginError as exc:
            log.info("login refused: %s", exc.description)
            response = _page(400, "Innloggingen mislyktes", exc.description)
        except IssuerUnavailable as exc:
            log.warning("login failed, issuer unavailable: %s", exc.description)
            response = _page(503, "ID-porten er utilgjengelig", "prøv igjen om litt")
        self._clear_cookie(response, self.login_cookie)
        return response

    async def _finish_login(self, request: Request) -> Response:
        auth, config = self.auth, self.auth.config
        query = request.query_params
        state = query.get("state")
        if not state:
            raise LoginError("the login response has no state")
        pending = await auth.sessions.take_login(state)
        if pending is None:
            raise LoginError("the login has expired or was already used")
        binding = request.cookies.get(self.login_cookie, "")
        if not hmac.compare_digest(digest(binding), pending.browser_binding):
            raise LoginError("the login was started in another browser")
        metadata = await auth.discovery.metadata()
        if query.get("iss") != metadata.issuer:  # RFC 9207: defeats mix-up attacks
            raise LoginError("the login response came from another issuer")
        error = query.get("error")
        if error is not None:
            code = error if _ERROR_CODE.fullmatch(error) else "error"
            raise LoginError(f"ID-porten did not complete the login ({code})")
        code_param = query.get("code")
        if not code_param:
            raise LoginError("the login response has no code")
        tokens = await auth.token_client.exchange_code(
            token_endpoint=metadata.token_endpoint,
            issuer=metadata.issuer,
            code=code_param,
            redirect_uri=config.redirect_uri,
            code_verifier=pending.code_verifier,
        )
        id_token = tokens.get("id_token")
        if not isinstance(id_token, str):
            raise LoginError("the token response has no ID token")
        claims = await validate_id_token(
            id_token,
            jwks=auth.jwks,
            issuer=metadata.issuer,
            client_id=config.client_id,
            nonce=pending.nonce,
            minimum_acr=pending.acr,
            now=auth.clock(),
            skew_s=config.clock_skew_s,
        )
        old_session = request.cookies.get(config.cookie_name)
        if old_session:
            await auth.sessions.delete(old_session)  # a login never continues an old session
        session_id = await auth.sessions.create(
            SessionData(
                pid=claims.pid, sub=claims.sub, acr=claims.acr, sid=claims.sid, id_token=id_token
            )
        )
        log.info("login completed at %s", claims.acr.value)
        response = RedirectResponse(pending.return_to, 303, headers=NO_STORE)
        self._set_cookie(response, config.cookie_name, session_id, max_age=None)
        self._clear_cookie(response, self.login_cookie)
        return response

    async def logout(self, request: Request) -> Response:
        """End the local session and send the browser to ID-porten's single logout."""
        config = self.auth.config
        refusal = csrf.origin_refusal(request, config.public_origin)
        if refusal is not None:
            return _page(403, "Utlogging avvist", refusal)
        session_id = request.cookies.get(config.cookie_name)
        data = await self.auth.sessions.delete(session_id) if session_id else None
        response: Response = RedirectResponse(
            config.post_logout_redirect_uri, 303, headers=NO_STORE
        )
        if data is not None:
            try:
                metadata = await self.auth.discovery.metadata()
            except IssuerUnavailable:
                metadata = None
            if metadata is not None and metadata.end_session_endpoint:
                params = {
                    "id_token_hint": data.id_token,
                    "post_logout_redirect_uri": config.post_logout_redirect_uri,
                    "state": new_secret(),
                    "client_id": config.client_id,
                }
                response = end_session_form(
                    metadata.end_session_endpoint, params, config.post_logout_redirect_uri
                )
        log.info("logout (session existed: %s)", data is not None)
        self._clear_cookie(response, config.cookie_name)
        return response

    async def frontchannel_logout(self, request: Request) -> Response:
        """ID-porten's front-channel logout: end the sessions of ``sid``, with or without cookie."""
        config = self.auth.config
        headers = NO_STORE | {
            "Content-Security-Policy": f"frame-ancestors {config.frame_ancestors}",
        }
        iss, sid = request.query_params.get("iss"), request.query_params.get("sid")
        try:
            metadata = await self.auth.discovery.metadata()
        except IssuerUnavailable:
            return HTMLResponse("", 503, headers=headers)
        if iss != metadata.issuer or not sid:
            return HTMLResponse("", 400, headers=headers)
        ended = await self.auth.sessions.delete_by_sid(sid)
        log.info("front-channel logout ended %d session(s)", ended)
        response = HTMLResponse("<!doctype html><title>Logget ut</title>", 200, headers=headers)
        return response
