"""The stand-in's authlib authorization server, wired to Starlette and ID-porten's rules.

authlib supplies the protocol logic (code grant, PKCE, OIDC ID token, client authentication incl.
RFC 7523 private_key_jwt, RFC 9207 ``iss``, RP-initiated logout validation); this module supplies
the storage hooks, the Starlette request/response adapters and the ID-porten specifics: PKCE S256
mandatory, ``resource`` remembered for the access token's ``aud``, pairwise ``sub``, ``pid``,
``sid`` and ``locale`` in the ID token, and the JWT access token.

authlib ships no type information, hence the ``type: ignore`` on its imports and subclasses.
"""

from __future__ import annotations

import hmac
import logging
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import urlencode, urlsplit

from authlib.oauth2.rfc6749 import (  # type: ignore[import-untyped,unused-ignore]
    AuthorizationCodeGrant,
    AuthorizationServer,
    ClientMixin,
    InvalidRequestError,
    OAuth2Error,
    OAuth2Payload,
    OAuth2Request,
)
from authlib.oauth2.rfc7523 import (  # type: ignore[import-untyped,unused-ignore]
    JWTBearerClientAssertion,
)
from authlib.oauth2.rfc7636 import CodeChallenge  # type: ignore[import-untyped,unused-ignore]
from authlib.oauth2.rfc9207 import IssuerParameter  # type: ignore[import-untyped,unused-ignore]
from authlib.oidc.core import OpenIDCode  # type: ignore[import-untyped,unused-ignore]
from authlib.oidc.rpinitiated import (  # type: ignore[import-untyped,unused-ignore]
    EndSessionEndpoint,
)
from joserfc.jwk import KeySet
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from idporten_standin.config import PRIVATE_KEY_JWT, RegisteredClient, StandinConfig
from idporten_standin.store import AuthorizationCode, Login, Store
from idporten_standin.tokens import mint_access_token, new_jti, pairwise_sub

# authlib logs every issued token dict at DEBUG ("Issue token %r to %r"); tokens carry the pid, so
# that logger never goes below INFO, whatever the application's log level.
logging.getLogger("authlib.oauth2.rfc6749.grants.authorization_code").setLevel(logging.INFO)

__all__ = [
    "ClientModel",
    "CodeGrant",
    "InvalidRequestError",
    "InvalidTargetError",
    "OAuth2Error",
    "OAuthResponse",
    "StandinAuthorizationServer",
    "StarletteOAuth2Request",
    "read_oauth2_request",
]


class InvalidTargetError(OAuth2Error):  # type: ignore[misc,unused-ignore]
    """RFC 8707: the ``resource`` parameter is not an absolute URI without a fragment."""

    error = "invalid_target"


# --- Starlette adapters ---------------------------------------------------------------------


class StarletteOAuth2Payload(OAuth2Payload):  # type: ignore[misc,unused-ignore]
    """Request parameters (query and form merged, first value wins) in authlib's shape."""

    def __init__(self, items: Sequence[tuple[str, str]]):
        self._datalist: defaultdict[str, list[str]] = defaultdict(list)
        for key, value in items:
            self._datalist[key].append(value)
        self._data = {key: values[0] for key, values in self._datalist.items()}

    @property
    def data(self) -> dict[str, str]:
        """First value of every parameter."""
        return self._data

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        """Every value of every parameter."""
        return self._datalist


class StarletteOAuth2Request(OAuth2Request):  # type: ignore[misc,unused-ignore]
    """An authlib request built from an already-read Starlette request."""

    def __init__(
        self,
        request: Request,
        query: Sequence[tuple[str, str]],
        form: Sequence[tuple[str, str]],
    ):
        super().__init__(request.method, str(request.url), headers=request.headers)
        self._args = dict(reversed(query))  # reversed: the first value wins
        self._form = dict(reversed(form))
        self.payload = StarletteOAuth2Payload([*query, *form])

    @property
    def args(self) -> dict[str, str]:
        """Query parameters."""
        return self._args

    @property
    def form(self) -> dict[str, str]:
        """Form body parameters."""
        return self._form


async def read_oauth2_request(request: Request) -> StarletteOAuth2Request:
    """Read the body (async) and wrap the request for authlib's synchronous API."""
    form: list[tuple[str, str]] = []
    if request.method == "POST":
        async with request.form() as data:
            form = [(key, value) for key, value in data.multi_items() if isinstance(value, str)]
    return StarletteOAuth2Request(request, list(request.query_params.multi_items()), form)


@dataclass
class OAuthResponse:
    """authlib's (status, body, headers) triple, with the ``location`` that RFC 9207 rewrites."""

    status: int
    body: Any
    headers: list[tuple[str, str]]

    @property
    def location(self) -> str | None:
        """The redirect target, if this is a redirect."""
        for key, value in self.headers:
            if key.lower() == "location":
                return value
        return None

    @location.setter
    def location(self, value: str) -> None:
        self.headers = [(k, v) for k, v in self.headers if k.lower() != "location"]
        self.headers.append(("Location", value))

    def to_starlette(self) -> Response:
        """The Starlette response to send."""
        headers = dict(self.headers)
        if isinstance(self.body, dict):
            return JSONResponse(self.body, self.status, headers=headers)
        return Response(self.body or b"", self.status, headers=headers)


# --- models ---------------------------------------------------------------------------------


class ClientModel(ClientMixin):  # type: ignore[misc,unused-ignore]
    """authlib's view of a :class:`RegisteredClient`."""

    def __init__(self, registered: RegisteredClient):
        self.registered = registered

    @property
    def client_metadata(self) -> dict[str, Any]:
        """Metadata read by authlib's end-session endpoint."""
        return {"post_logout_redirect_uris": list(self.registered.post_logout_redirect_uris)}

    def get_client_id(self) -> str:
        """The client id."""
        return self.registered.client_id

    def get_default_redirect_uri(self) -> None:
        """None: like ID-porten, every authorization request must name its redirect_uri."""
        return None

    def get_allowed_scope(self, scope: str | None) -> str | None:
        """The requested scope if the client may have all of it (None rejects the request)."""
        requested = (scope or "").split()
        if not requested or "openid" not in requested:
            return None
        if any(item not in self.registered.scopes for item in requested):
            return None
        return " ".join(dict.fromkeys(requested))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        """Exact match against the registered redirect URIs."""
        return redirect_uri in self.registered.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        """Constant-time comparison with the registered secret."""
        secret = self.registered.client_secret
        return bool(secret) and hmac.compare_digest(str(secret), client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        """Only the token endpoint authenticates clients; each with its registered methods."""
        return endpoint == "token" and method in self.registered.auth_methods

    def check_response_type(self, response_type: str) -> bool:
        """Authorization code flow only."""
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        """Authorization code grant only (no refresh tokens, like a plain ID-porten client)."""
        return grant_type == "authorization_code"


# --- grant and its extensions ---------------------------------------------------------------


def _resources(values: list[str]) -> list[str]:
    for value in values:
        parts = urlsplit(value)
        if not parts.scheme or not parts.netloc or parts.fragment:
            raise InvalidTargetError("The 'resource' parameter must be an absolute URI.")
    return list(dict.fromkeys(values))


class CodeGrant(AuthorizationCodeGrant):  # type: ignore[misc,unused-ignore]
    """Authorization code grant storing codes in the :class:`Store`, JWT access tokens."""

    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = [
        "client_secret_basic",
        "client_secret_post",
        PRIVATE_KEY_JWT,
    ]
    server: StandinAuthorizationServer

    def validate_authorization_request(self) -> str:
        """authlib's validation plus ``resource`` (RFC 8707) syntax."""
        redirect_uri: str = super().validate_authorization_request()
        try:
            _resources(self.request.payload.datalist.get("resource", []))
        except OAuth2Error as error:
            error.redirect_uri = redirect_uri
            raise
        return redirect_uri

    def save_authorization_code(self, code: str, request: StarletteOAuth2Request) -> None:
        """Remember the code with the login, PKCE challenge, nonce and resource."""
        login: Login = request.user
        client_id = request.client.get_client_id()
        data = request.payload.data
        self.server.store.save_code(
            AuthorizationCode(
                code=code,
                client_id=client_id,
                redirect_uri=data["redirect_uri"],
                scope=request.scope,
                login=login,
                code_challenge=data["code_challenge"],
                code_challenge_method=data["code_challenge_method"],
                expires_at=time.time() + self.server.config.code_lifetime_s,
                nonce=data.get("nonce"),
                resource=_resources(request.payload.datalist.get("resource", [])),
            )
        )
        session = self.server.store.session_by_sid(login.sid)
        if session is not None:
            session.add_participant(client_id)

    def query_authorization_code(self, code: str, client: ClientModel) -> AuthorizationCode | None:
        """Take the code out of the store: one presentation only, replays find nothing."""
        return self.server.store.take_code(code, client.get_client_id())

    def delete_authorization_code(self, authorization_code: AuthorizationCode) -> None:
        """Nothing left to delete: :meth:`query_authorization_code` already removed it."""

    def authenticate_user(self, authorization_code: AuthorizationCode) -> Login:
        """The login the code was issued for."""
        return authorization_code.login

    def generate_token(
        self,
        user: Login | None = None,
        scope: str | None = None,
        grant_type: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
        """The token response body (the ID token is added by :class:`StandinOpenIDCode`)."""
        assert user is not None
        config = self.server.config
        code: AuthorizationCode = self.request.authorization_code
        client: RegisteredClient = self.request.client.registered
        aud: str | list[str] | None = None
        if code.resource:
            aud = code.resource[0] if len(code.resource) == 1 else code.resource
        granted = scope or code.scope
        access_token = mint_access_token(
            config, client, user.pid, acr=user.acr, scope=granted, aud=aud
        )
        return {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": config.access_token_lifetime_s,
            "scope": granted,
        }


class S256CodeChallenge(CodeChallenge):  # type: ignore[misc,unused-ignore]
    """PKCE as ID-porten requires it: a challenge on every request, method S256 only."""

    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD: ClassVar[list[str]] = ["S256"]

    def validate_code_challenge(self, grant: CodeGrant, redirect_uri: str) -> None:
        """Reject a missing challenge and any method but S256, then authlib's own checks."""
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("Missing 'code_challenge' (PKCE is mandatory).")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("'code_challenge_method' must be 'S256'.")
        super().validate_code_challenge(grant, redirect_uri)


class StandinOpenIDCode(OpenIDCode):  # type: ignore[misc,unused-ignore]
    """The ID token: authlib's OIDC code extension with ID-porten's claims and our key ring."""

    def __init__(self, config: StandinConfig):
        super().__init__(require_nonce=False)
        self.config = config

    def resolve_client_private_key(self, client: ClientModel) -> Any:
        """The active signing key (kid in the header, see :meth:`get_encode_header`)."""
        return self.config.keys.active

    def get_client_algorithm(self, client: ClientModel) -> str:
        """ID-porten signs with RS256."""
        return "RS256"

    def get_encode_header(self, client: ClientModel) -> dict[str, str]:
        """alg, kid of the active key, typ."""
        return self.config.keys.sign_header()

    def get_client_claims(self, client: ClientModel) -> dict[str, Any]:
        """iss, aud (the client id, a string as in ID-porten), iat, exp, jti."""
        now = int(time.time())
        return {
            "iss": self.config.issuer,
            "aud": client.get_client_id(),
            "iat": now,
            "exp": now + self.config.id_token_lifetime_s,
            "jti": new_jti(),
        }

    def get_authorization_code_claims(self, authorization_code: AuthorizationCode) -> Any:
        """nonce, auth_time, acr, amr from authlib, plus pairwise sub, pid, sid and locale."""
        claims: dict[str, Any] = super().get_authorization_code_claims(authorization_code)
        login = authorization_code.login
        client = self.config.client(authorization_code.client_id)
        assert client is not None
        claims.update(
            sub=pairwise_sub(self.config, client, login.pid),
            pid=login.pid,
            sid=login.sid,
            locale=login.locale,
        )
        return claims

    def exists_nonce(self, nonce: str, request: OAuth2Request) -> bool:
        """Nonce uniqueness is the client's business; the stand-in only echoes it."""
        return False

    def generate_user_info(self, user: Login, scope: str) -> dict[str, Any]:
        """No profile claims: ID-porten's ID token carries none."""
        return {}


class PrivateKeyJwtAuthentication(JWTBearerClientAssertion):  # type: ignore[misc,unused-ignore]
    """``private_key_jwt`` (RFC 7523): a client assertion signed with a registered key."""

    CLIENT_AUTH_METHOD = PRIVATE_KEY_JWT

    def __init__(self, config: StandinConfig, store: Store):
        super().__init__(validate_jti=True, leeway=10)
        self.config = config
        self.store = store

    def get_audiences(self) -> list[str]:
        """ID-porten wants its issuer as the assertion's aud; the token URL is accepted too."""
        return [self.config.issuer, self.config.endpoint("/token")]

    def validate_jti(self, claims: Any, jti: str) -> bool:
        """Each assertion may be used once."""
        return self.store.use_assertion_id(str(claims["sub"]), jti, ttl_s=600)

    def resolve_client_public_key(self, client: ClientModel) -> KeySet:
        """The client's registered JWKS."""
        return KeySet.import_key_set(client.registered.jwks or {"keys": []})  # type: ignore[arg-type]


class StandinEndSession(EndSessionEndpoint):  # type: ignore[misc,unused-ignore]
    """RP-initiated logout validation (id_token_hint signature, registered redirect URI).

    The app only uses the validation step; ending the session and front-channel calls are async
    and happen in the route.
    """

    def __init__(self, config: StandinConfig):
        super().__init__()
        self.config = config

    def get_server_jwks(self) -> KeySet:
        """Our published keys (an ID token signed by a retired, unpublished key is refused)."""
        return self.config.keys.public_key_set()

    def get_algorithms(self) -> list[str]:
        """RS256 only."""
        return ["RS256"]

    def end_session(self, end_session_request: Any) -> None:
        """Unused: the route ends the session itself (it must await the front-channel calls)."""


class StandinIssuerParameter(IssuerParameter):  # type: ignore[misc,unused-ignore]
    """RFC 9207: ``iss`` on every authorization response."""

    def __init__(self, issuer: str):
        self.issuer = issuer

    def get_issuer(self) -> str:
        """The issuer identifier."""
        return self.issuer


# --- the server -----------------------------------------------------------------------------


class StandinAuthorizationServer(AuthorizationServer):  # type: ignore[misc,unused-ignore]
    """authlib's authorization server for the stand-in's registered clients."""

    def __init__(self, config: StandinConfig, store: Store):
        super().__init__()
        self.config = config
        self.store = store
        self.register_grant(
            CodeGrant, [S256CodeChallenge(required=True), StandinOpenIDCode(config)]
        )
        self.register_client_auth_method(
            PRIVATE_KEY_JWT, PrivateKeyJwtAuthentication(config, store)
        )
        self.register_extension(StandinIssuerParameter(config.issuer))
        self.register_endpoint(StandinEndSession(config))

    def query_client(self, client_id: str) -> ClientModel | None:
        """The registered client, wrapped for authlib."""
        registered = self.config.client(client_id)
        return ClientModel(registered) if registered is not None else None

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        """Tokens are self-contained JWTs; nothing to store."""

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        """No signal system."""

    def create_oauth2_request(self, request: Any) -> OAuth2Request:
        """Requests are converted by :func:`read_oauth2_request` before reaching authlib."""
        if isinstance(request, OAuth2Request):
            return request
        raise TypeError("call read_oauth2_request() first")

    def handle_response(
        self, status: int, body: Any, headers: list[tuple[str, str]]
    ) -> OAuthResponse:
        """Keep authlib's triple; the route converts it to a Starlette response."""
        return OAuthResponse(status, body, list(headers))

    def error_redirect(self, request: OAuth2Request, error: Any) -> OAuthResponse:
        """An OAuth error sent back to a validated redirect URI, with ``iss`` (RFC 9207)."""
        response: OAuthResponse = self.handle_error_response(request, error)
        location = response.location
        if location is not None:
            separator = "&" if "?" in location else "?"
            response.location = f"{location}{separator}{urlencode({'iss': self.config.issuer})}"
        return response
