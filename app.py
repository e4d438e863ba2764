"""The Min side GraphQL gateway as a Starlette application: ``build_app(settings)``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from typing import cast

import aiohttp
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from redis.asyncio import Redis
from starlette.applications import Starlette
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.file_uploads.utils import replace_placeholders_with_files
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.base import BaseRequestProtocol
from strawberry.http.parse_content_type import parse_content_type
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET

from auth.bff import BffRoutes
from auth.config import AuthConfig
from auth.metadata import RedisMetadataStore
from auth.middleware import ViewerGate, viewer_of
from auth.redaction import install_log_redaction
from auth.service import Auth
from auth.session_redis import RedisSessionStore
from auth.sessions import InMemorySessionStore, SessionStore
from connectors.registry import ConnectorProbe, Connectors, open_connectors
from connectors.session import open_session
from delivery.runner import build_worker
from gateway.admission import Admission, AdmissionControl
from gateway.downloads import DownloadEndpoint
from gateway.graphiql import assets_mount, localized_ide_html
from gateway.health import DependencyCheck, HttpProbe, Readiness
from gateway.http_protocol import (
    GRAPHQL_RESPONSE_JSON,
    GraphQLRequest,
    RequestRefused,
    decode_json_object,
    is_request_error,
    negotiate,
)
from gateway.http_protocol import JSON as JSON_MEDIA
from gateway.incremental import (
    DEFER_SPEC,
    Defer20220824,
    KeptPayloadsTransport,
    PayloadStream,
    accepts_multipart,
    merge_payloads,
    wants_defer_20220824,
)
from gateway.metrics import GatewayMetrics, LoopLagMonitor, serving_metrics
from gateway.observe import ObservedGraphQL
from gateway.partners import PartnerCors, PartnerDocuments
from gateway.persisted_queries import PersistedQueries, names_persisted_document
from gateway.rate_limit import ChargeCosts, RateLimiter, RateLimitGate
from gateway.request_id import RequestIdMiddleware
from gateway.security_headers import SecurityHeaders
from gateway.state import GatewayState
from gateway.tracing import install_tracing
from gateway.web import web_routes
from kernel.errors import ErrorCode, error_envelope
from kernel.external_services import load_external_services
from kernel.file_links import FileLinks
from kernel.partners import ClientRegistry, load_partners
from kernel.redis_client import RedisProbe, open_redis
from kernel.server_secret import ServerSecret
from kernel.settings import Settings
from kernel.systems import SYSTEM_NAMES
from resolvers.access_recorder import AccessReads, AccessRecorder
from resolvers.application_types import load_application_types
from resolvers.context import Context
from resolvers.document_visibility import load_document_visibility
from resolvers.read_cache import open_read_cache
from resolvers.shared import SharedServices
from schema.build import build_schema
from stores import Outbox, open_access_log, open_outbox

log = logging.getLogger("minside.graphql")

# A GraphQL Name (the spec's lexical grammar); anything else names no operation.
_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*")
# strawberry's HTTP-level reasons that quote nothing of the request.
_STRAWBERRY_REASONS = frozenset(
    {
        "No GraphQL query found in the request",
        "Unable to parse the multipart body",
        "File(s) missing in form data",
        "Unable to parse request body as JSON",
        "Unsupported content type",
        "Batching is not enabled",
        "Not Found",
        "mutations are not allowed when using GET",
        "subscriptions are not allowed when using GET",
        "The GraphQL operation's `query` must be a string or null, if provided.",
        "The GraphQL operation's `variables` must be an object or null, if provided.",
        "The GraphQL operation's `extensions` must be an object or null, if provided.",
    }
)


class GatewayGraphQL(GraphQL[Context, None]):
    """Strawberry's ASGI view with the gateway's typed context.

    A query with ``@defer``/``@stream`` is answered as multipart/mixed when the client asks
    for it by name in ``Accept`` (Apollo Client's ``multipart/mixed;deferSpec=20220824``),
    and as one application/json body otherwise (:mod:`gateway.incremental`).
    """

    multipart_transport_class = KeptPayloadsTransport

    def __init__(
        self,
        state: GatewayState,
        persisted: PersistedQueries,
        partner_documents: PartnerDocuments | None = None,
    ) -> None:
        settings = state.settings
        super().__init__(
            # ChargeCosts: the cost limits, then the rate limits (gateway.rate_limit).
            # MINSIDE_MODE: no introspection and no GraphiQL in production unless switched on.
            build_schema(
                max_depth=settings.graphql_max_depth,
                limit_costs=ChargeCosts,
                introspection=settings.introspection_enabled,
            ),
            graphql_ide="graphiql" if settings.graphiql_enabled else None,
            # strawberry refuses mutations over GET; which queries may come over GET is
            # gateway.persisted_queries' (MINSIDE_GRAPHQL_GET_QUERIES).
            allow_queries_via_get=True,
            # Attachments of submitApplication (GraphQL multipart request spec); cookie
            # sessions must add a preflighted header for it (auth.csrf).
            multipart_uploads_enabled=True,
        )
        self.state = state
        self.persisted = persisted
        self.partner_documents = partner_documents or PartnerDocuments({})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        # As strawberry's, plus closing the request: the parsed multipart form holds the
        # uploads in temporary files that only Request.close() releases.
        request = GraphQLRequest(scope=scope, receive=receive)
        try:
            try:
                response: Response = await self.run(request)
            except HTTPException as exc:
                response = refusal(exc, request.headers.get("accept"))
            except ClientDisconnect:
                # The client went away before its body arrived: nobody to answer.
                log.info("client disconnected before sending its whole request body")
                return
            if not isinstance(response, StreamingResponse):
                self.record_reads(request)  # executed whole: logged before the answer leaves
            await response(scope, receive, send)
        finally:
            self.record_reads(request)  # what deferred parts read while streaming
            await request.close()

    def record_reads(self, request: Request) -> None:
        """Hand the personal data this request read to the access log's recorder (which only
        buffers it: the answer never waits for the log)."""
        reads: AccessReads | None = getattr(request.state, "access_reads", None)
        viewer = viewer_of(request.scope)
        services = self.state.services
        if reads and viewer is not None and services is not None:
            services.access_log.record(viewer, reads)

    async def run(  # type: ignore[override]
        self,
        request: Request,
        context: Context = UNSET,
        root_value: None = UNSET,
    ) -> Response:
        # GraphQL over HTTP: the media type is settled before anything executes (406).
        media = negotiate(request.headers.get("accept"))
        renders_ide = self.should_render_graphql_ide(self.request_adapter_class(request))
        if media is None and not renders_ide:
            raise RequestRefused(
                406, f"the response can only be {GRAPHQL_RESPONSE_JSON} or {JSON_MEDIA}"
            )
        if request.method == "POST":
            content_type, params = parse_content_type(request.headers.get("content-type", ""))
            charset = params.get("charset", "utf-8").strip("\"'").lower()
            if content_type not in {JSON_MEDIA, "multipart/form-data"} or charset not in {
                "utf-8",
                "utf8",
            }:
                raise RequestRefused(
                    415,
                    f"a POST body must be {JSON_MEDIA} in UTF-8"
                    " (or multipart/form-data for uploads)",
                )
        request.state.graphql_media = media
        request.state.graphql_request_error = False
        response = await super().run(request, context, root_value)
        if media == GRAPHQL_RESPONSE_JSON and response.media_type == JSON_MEDIA:
            response.headers["content-type"] = f"{GRAPHQL_RESPONSE_JSON}; charset=utf-8"
            if request.state.graphql_request_error:
                response.status_code = 400
        return response

    def should_render_graphql_ide(self, request: BaseRequestProtocol) -> bool:
        # A hash-only persisted query (GET with extensions, no query) is not a browser asking
        # for GraphiQL, though Apollo Client 3 sends it with ``Accept: */*``.
        # Nor is one naming a trusted document (documentId, Relay's doc_id).
        return super().should_render_graphql_ide(request) and not names_persisted_document(
            request.query_params
        )

    def decode_json(self, data: str | bytes) -> object:
        # Every JSON value strawberry parses (a body, multipart operations and map, GET
        # variables and extensions) must be an object; see gateway.http_protocol.
        return decode_json_object(data)

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        parsed = await super().parse_http_body(request)
        for data in parsed if isinstance(parsed, list) else [parsed]:
            name = data.operation_name
            if name is not None and not (isinstance(name, str) and _NAME.fullmatch(name)):
                raise RequestRefused(400, "operationName must be a GraphQL name or null")
            # Automatic persisted queries and trusted documents: the hash becomes the query.
            await self.persisted.resolve(data, request)
        return parsed

    async def parse_multipart(self, request: AsyncHTTPRequestAdapter) -> dict[str, str]:
        # The GraphQL multipart request spec, checked before strawberry places the files.
        try:
            form_data = await request.get_form_data()
        except ValueError as exc:
            raise RequestRefused(400, "the multipart body cannot be parsed") from exc
        operations = form_data.form.get("operations")
        files_map = form_data.form.get("map", "{}")
        if not isinstance(operations, (str, bytes)):
            raise RequestRefused(
                400, "multipart operations must be a form field with a JSON object"
            )
        if not isinstance(files_map, (str, bytes)):
            raise RequestRefused(400, "multipart map must be a form field with a JSON object")
        parsed_operations = decode_json_object(operations, "multipart operations")
        parsed_map = decode_json_object(files_map, "multipart map")
        for name, paths in parsed_map.items():
            if name not in form_data.files:
                raise RequestRefused(400, "multipart map names a file that was not sent")
            if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
                raise RequestRefused(400, "multipart map values must be lists of paths")
        try:
            return replace_placeholders_with_files(parsed_operations, parsed_map, form_data.files)
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise RequestRefused(
                400, "a multipart map path does not name a place in operations"
            ) from exc

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        # A partner with a trusted documents manifest runs only those (gateway.partners).
        self.partner_documents.check(context.viewer, request_data.query)
        try:
            result = await super().execute_single(
                request, request_adapter, sub_response, context, root_value, request_data
            )
        except HTTPException as exc:
            # strawberry's reasons quote the operation's name; ours do not.
            if isinstance(exc.__cause__, CannotGetOperationTypeError):
                raise RequestRefused(
                    400, "no operation to run: operationName names none in the document"
                ) from exc
            if isinstance(exc.__cause__, InvalidOperationTypeError):
                # GraphQL over HTTP: a mutation sent with GET is not executed; 405.
                raise RequestRefused(
                    405, "only queries can be sent with GET; send other operations with POST"
                ) from exc
            raise
        # APQ: kept once it validated (an incremental @defer result executed, so it did).
        if not isinstance(result, ExecutionResult) or not is_request_error(result):
            await self.persisted.register(request_data)
        return result

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        processed = await super().process_result(request, result)
        if is_request_error(result):
            request.state.graphql_request_error = True
            if getattr(request.state, "graphql_media", None) == GRAPHQL_RESPONSE_JSON:
                processed.pop("data", None)  # nothing was executed
        return processed

    async def create_streaming_response(
        self,
        request: Request | WebSocket,
        stream: Callable[[], AsyncIterator[str]],
        sub_response: Response,
        headers: Mapping[str, str],
    ) -> Response:
        if not isinstance(stream, PayloadStream):  # not an incremental result
            return await super().create_streaming_response(request, stream, sub_response, headers)
        accept = request.headers.get("accept", "")
        if not accepts_multipart(accept):
            # Deferred parts are still computed concurrently; the client just gets them all
            # at once, in the shape a query without @defer has.
            adapter = Defer20220824(failed_as_null=True)
            payloads = [payload async for payload in stream.adapted(adapter)]
            return self.create_response(
                cast("GraphQLHTTPResponse", merge_payloads(payloads)), sub_response
            )
        legacy = wants_defer_20220824(accept)
        content_type = headers["Content-Type"] + (f";deferSpec={DEFER_SPEC}" if legacy else "")
        return await super().create_streaming_response(
            request,
            stream.multipart(Defer20220824(failed_as_null=legacy)),
            sub_response,
            {**headers, "Content-Type": content_type},
        )

    @property
    def graphql_ide_html(self) -> str:
        # The page loads its scripts from the gateway, not from a CDN (offline networks).
        return localized_ide_html(super().graphql_ide_html)

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        context = Context.for_request(
            request,
            response if isinstance(response, Response) else None,
            self.state.shared(),
            viewer_of(request.scope),
        )
        # Read back by record_reads() once the request has executed.
        request.state.access_reads = context.access
        return context


def refusal(exc: HTTPException, accept: str | None) -> Response:
    """An HTTP-level refusal as a GraphQL-shaped JSON body with ``extensions.code``.

    Only the gateway's own messages are passed on; strawberry's (which may quote the
    request) become a generic one."""
    code = exc.code if isinstance(exc, RequestRefused) else ErrorCode.BAD_REQUEST
    if isinstance(exc, RequestRefused) or exc.reason in _STRAWBERRY_REASONS:
        message = exc.reason
    else:
        message = "the request cannot be answered as sent"
    media = negotiate(accept) or JSON_MEDIA
    return JSONResponse(
        error_envelope(code, message),
        status_code=exc.status_code,
        media_type=f"{media}; charset=utf-8" if media == GRAPHQL_RESPONSE_JSON else media,
        # RFC 9110: a 405 names the methods the resource has (queries may use GET).
        headers={"Allow": "GET, POST"} if exc.status_code == 405 else None,
    )


async def route_refusal(request: Request, exc: Exception) -> Response:
    """Starlette's own refusals: on /graphql (a method it does not have) in the API's JSON
    shape with a code, like every other refusal there; elsewhere as Starlette answers them."""
    assert isinstance(exc, StarletteHTTPException)
    if request.url.path == "/graphql" and exc.status_code == 405:
        refused = RequestRefused(
            405, "/graphql takes GET and POST only", ErrorCode.METHOD_NOT_ALLOWED
        )
        return refusal(refused, request.headers.get("accept"))
    if exc.status_code in {204, 304}:
        return Response(status_code=exc.status_code, headers=exc.headers)
    return PlainTextResponse(exc.detail, status_code=exc.status_code, headers=exc.headers)


class RequestSizeLimit:
    """ASGI wrapper: a request body larger than its cap is refused with 413 before it is read
    whole (a declared Content-Length over the cap, or a streamed body passing it). Multipart
    uploads have their own, larger cap; anything else (JSON queries) the small one."""

    def __init__(self, app: ASGIApp, max_multipart_bytes: int, max_other_bytes: int) -> None:
        self.app = app
        self.max_multipart_bytes = max_multipart_bytes
        self.max_other_bytes = max_other_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        multipart = request.headers.get("content-type", "").lower().startswith("multipart/")
        limit = self.max_multipart_bytes if multipart else self.max_other_bytes
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await self._too_large(scope, receive, send, limit)
            return
        seen = 0

        async def counted() -> dict[str, object]:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _TooLarge()
            return dict(message)

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await self._too_large(scope, receive, send, limit)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = JSONResponse(
            error_envelope(ErrorCode.PAYLOAD_TOO_LARGE, f"request larger than {limit} bytes"),
            status_code=413,
        )
        await response(scope, receive, send)


class _TooLarge(Exception):
    pass


def _base(url: object) -> str:
    return str(url).rstrip("/")


@dataclass(frozen=True)
class OutboxProbe:
    """Readiness of the outbox store: a cheap read answers (an accepted write needs it)."""

    outbox: Outbox
    name: str = "outbox"

    async def check(self) -> None:
        await self.outbox.next_due_at()


def dependency_checks(
    settings: Settings,
    http: aiohttp.ClientSession,
    connectors: Connectors,
    outbox: Outbox,
    redis: Redis | None = None,
) -> list[DependencyCheck]:
    """One readiness check per back-office system, the ID-porten issuer, the outbox and (when
    configured) Redis.

    Back-office systems are probed through their connectors (``ping``: a call that reads no
    personal data), so readiness sees exactly what the resolvers would: credentials, paths
    and the circuit breaker included.
    """
    issuer = HttpProbe(
        "idporten",
        _base(settings.idporten_issuer) + "/.well-known/openid-configuration",
        http,
        expect_ok=True,
    )
    return [
        issuer,
        *(ConnectorProbe(system, connectors) for system in SYSTEM_NAMES),
        OutboxProbe(outbox),
        *([RedisProbe(redis)] if redis is not None else []),
    ]


def build_app(settings: Settings, *, session_store: SessionStore | None = None) -> Starlette:
    """The gateway: /graphql (API and GraphiQL), /auth/*, /healthz, /readyz and /metrics."""
    install_log_redaction()  # libraries (authlib at DEBUG) would otherwise log tokens
    install_tracing(settings)  # once per process; nothing with MINSIDE_TRACING=off
    auth_config = AuthConfig.from_settings(settings)
    # Read now, so a bad catalogue or secret stops the app before it serves anything.
    external_services = load_external_services(settings.external_services_file)
    application_types = load_application_types(settings.application_types_file)
    document_visibility = load_document_visibility(settings.document_visibility_file)
    # Partner portals: whose bearer tokens count, their scopes, origins and documents.
    partners = load_partners(settings.partners_file, own_client_id=auth_config.client_id)
    partner_documents = PartnerDocuments.load(partners)
    server_secret = ServerSecret.from_settings(settings)
    # MINSIDE_REDIS_URL: sessions, the read cache and ID-porten's metadata shared by every
    # worker. The client connects on first use and is closed when the lifespan ends.
    redis = open_redis(settings)
    # APQ's store (in Redis too when there is one); the trusted documents manifest is read
    # and checked now, so a bad one stops the app (a client connects only on first use).
    persisted = PersistedQueries.from_settings(settings, redis)
    sessions: SessionStore
    if session_store is not None:
        sessions = session_store
    elif redis is not None:
        sessions = RedisSessionStore(
            redis,
            server_secret.fernet_key("session-store"),
            prefix=settings.redis_key_prefix,
            idle_timeout_s=auth_config.session_idle_timeout_s,
            max_lifetime_s=auth_config.session_max_lifetime_s,
        )
    else:
        sessions = InMemorySessionStore(
            idle_timeout_s=auth_config.session_idle_timeout_s,
            max_lifetime_s=auth_config.session_max_lifetime_s,
        )
    metadata = (
        RedisMetadataStore(
            redis,
            auth_config.issuer,
            server_secret.fernet_key("idporten-metadata"),
            prefix=settings.redis_key_prefix,
        )
        if redis is not None
        else None
    )
    clients = ClientRegistry(auth_config.client_id, partners.partners)
    state = GatewayState(
        settings=settings, auth=Auth(auth_config, sessions, metadata=metadata, clients=clients)
    )
    file_links = FileLinks(server_secret, settings.file_link_ttl_s)
    admission = Admission(
        settings.graphql_max_concurrency,
        max_wait_s=settings.graphql_queue_wait_s,
        max_queued=settings.graphql_queue_max,
    )
    loop_lag = LoopLagMonitor()
    metrics = GatewayMetrics(
        admission,
        loop_lag,
        lambda: state.services.connectors.resilience if state.services is not None else {},
        lambda: state.services.outbox if state.services is not None else None,
    )
    # Cost per window per viewer and client: in Redis when there is one (gateway.rate_limit).
    rate_limiter = RateLimiter.from_settings(settings, server_secret, redis, observer=metrics)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        timeout = aiohttp.ClientTimeout(total=30, connect=5)
        # Idle keep-alive shorter than the back-offices' own (connectors.session).
        async with open_session(timeout=timeout) as http:
            connectors = open_connectors(settings, http, observer=metrics)
            state.auth.open(http)
            # The outbox before the worker; on shutdown the worker stops (giving its in-flight
            # records back) before the outbox closes.
            # PostgreSQL when MINSIDE_DATABASE_URL is set, else the SQLite file; opening
            # migrates (production runs `minside migrate` first, so that is a no-op here).
            outbox = await open_outbox(settings)
            state.checks = dependency_checks(settings, http, connectors, outbox, redis)
            worker = build_worker(settings, outbox, connectors)
            # The citizen's access log, beside the outbox; written by a task of its own.
            access_log = AccessRecorder(
                await open_access_log(settings),
                server_secret,
                clients,
                queue_max=settings.access_log_queue_max,
                batch_max=settings.access_log_batch_max,
                observer=metrics,
            )
            state.services = SharedServices(
                settings=settings,
                external_services=external_services,
                application_types=application_types,
                server_secret=server_secret,
                file_links=file_links,
                connectors=connectors,
                outbox=outbox,
                notify_delivery=worker.notify,
                access_log=access_log,
                document_visibility=document_visibility,
                read_cache=open_read_cache(settings, server_secret, redis=redis),
                cache_observer=metrics,
            )
            delivery = asyncio.create_task(worker.run(), name="delivery")
            access_writer = asyncio.create_task(access_log.run(), name="access-log-writer")
            try:
                async with (
                    loop_lag.running(),
                    serving_metrics(
                        metrics,
                        settings.host,
                        settings.metrics_port,
                        [Route("/readyz", readiness.internal_endpoint, methods=["GET"])],
                    ),
                ):
                    yield
            finally:
                delivery.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await delivery
                await access_log.stop(access_writer)  # writes what is still buffered
                state.services = None
                await access_log.store.close()
                await outbox.close()
                if redis is not None:
                    await redis.aclose()
            state.auth.close()
            state.checks = []

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    # Each dependency's state only for internal callers, or on the internal port.
    readiness = Readiness(
        lambda: state.checks, settings.readiness_timeout_s, settings.internal_callers
    )

    graphql = GatewayGraphQL(state, persisted, partner_documents)
    app = Starlette(
        routes=[
            Route(
                "/graphql",
                RequestSizeLimit(
                    # Who is asking is settled before a request queues for an execution slot.
                    ViewerGate(
                        RateLimitGate(
                            AdmissionControl(
                                graphql,
                                admission,
                                budget_s=settings.graphql_request_budget_s,
                                retry_after_s=settings.overload_retry_after_s,
                            ),
                            rate_limiter,
                        ),
                        state.auth,
                    ),
                    settings.upload_max_request_bytes,
                    settings.graphql_max_body_bytes,
                ),
                methods=["GET", "POST"],
            ),
            *BffRoutes(state.auth).routes(),
            Route(
                "/files/{token}",
                ViewerGate(RateLimitGate(DownloadEndpoint(state), rate_limiter), state.auth),
                methods=["GET"],
            ),
            *([assets_mount()] if settings.graphiql_enabled else []),
            # Min side's reference web page at / (MINSIDE_WEB_PAGE), a client of the API above.
            *(web_routes(str(settings.idporten_issuer)) if settings.web_page_enabled else []),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readiness.endpoint, methods=["GET"]),
            # Outside admission control: it must answer when the worker is saturated. With
            # MINSIDE_METRICS_PORT it is served there instead (the lifespan), not publicly.
            *(
                [Route("/metrics", metrics.endpoint, methods=["GET"])]
                if settings.metrics_port is None
                else []
            ),
        ],
        middleware=[
            Middleware(SecurityHeaders),  # no-store, CSP, nosniff, … (gateway.security_headers)
            # CORS for the partner portals' origins, without credentials (gateway.partners).
            Middleware(PartnerCors, origins=partners.origins),
            # A request id per request, in every log line and in X-Request-Id.
            Middleware(RequestIdMiddleware),
            # /graphql's span and metrics, around the requests turned away before GraphQL too.
            Middleware(ObservedGraphQL, metrics=metrics, path="/graphql"),
        ],
        exception_handlers={StarletteHTTPException: route_refusal},
        lifespan=lifespan,
    )
    app.state.gateway = state
    app.state.admission = admission
    app.state.metrics = metrics
    app.state.rate_limiter = rate_limiter
    return app
