"""Serve a WSDL-defined SOAP 1.1 service from Starlette, with zeep doing the XML.

A simulator built on the real WSDL cannot drift from the contract: requests are parsed with
``operation.input.deserialize`` and replies built with ``operation.output.serialize``, so an
envelope the real service would reject fails here too.

One :class:`SoapEndpoint` serves one WSDL at one path:

- ``GET <path>?wsdl`` returns the WSDL with its ``soap:address`` pointing at the request URL and
  its schema imports rewritten to ``<path>?xsd=<file>``, so a stock SOAP client can load it.
- ``POST <path>`` dispatches the body element to ``async def handler(**body)``; the handler
  returns the reply's content (a mapping of the output element's children, or the single value
  of its only child) or raises :class:`SoapFault`.

Every request passes HTTP Basic authentication, then the admin hooks: the call is counted and
injected faults are applied ("error" → a SOAP fault with HTTP 500, "outage" → HTTP 503 with an
empty body, slow body → the reply trickles out over ``slow_body_ms``).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import re
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import zeep.exceptions
from lxml import etree
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from contracts.soap import load_client, pick_binding  # the connectors' own WSDL loading
from simulators.soap_render import PlainRenderer, zeep_value

__all__ = [
    "SOAP11_ENV",
    "BasicCredentials",
    "FaultHooks",
    "Handler",
    "PlainRenderer",
    "SoapEndpoint",
    "SoapFault",
]

SOAP11_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
_WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"
_XSD_NS = "http://www.w3.org/2001/XMLSchema"
_ADDRESS_TAGS = (
    "{http://schemas.xmlsoap.org/wsdl/soap/}address",
    "{http://schemas.xmlsoap.org/wsdl/soap12/}address",
)
_XSD_NAME = re.compile(r"^[A-Za-z0-9_.-]+\.xsd$")
_XML_TYPE = "text/xml; charset=utf-8"
_TRICKLE_CHUNKS = 10
# Requests are untrusted input: no DTDs, no entities, no network.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)

Handler = Callable[..., Awaitable[Any]]


class SoapFault(Exception):
    """Raised by a handler to answer with a SOAP 1.1 Fault.

    ``code`` is the faultcode's local part ("Server" or "Client"; a prefixed value is used as is),
    ``message`` the faultstring, ``detail`` an optional element put inside ``<detail>``.
    """

    def __init__(
        self,
        code: str,
        message: str,
        detail: etree._Element | None = None,
        *,
        status: int = 500,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.detail = detail
        self.status = status


class FaultHooks(Protocol):
    """What the endpoint needs from the admin ``SimulatorControl``."""

    def record(self, operation: str) -> None:
        """Count one call of ``operation``."""

    async def apply(self, operation: str) -> Any:
        """Sleep the injected latency and say what to do: "ok" | "error" | "outage"."""


@dataclass(frozen=True)
class BasicCredentials:
    """The one user a simulator accepts over HTTP Basic."""

    username: str
    password: str

    def accepts(self, request: Request) -> bool:
        """True when the request carries exactly these credentials."""
        header = request.headers.get("authorization", "")
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            decoded = base64.b64decode(encoded, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return False
        user, sep, password = decoded.partition(":")
        # Both comparisons always run, so timing does not reveal which part was wrong.
        user_ok = secrets.compare_digest(user.encode(), self.username.encode())
        password_ok = secrets.compare_digest(password.encode(), self.password.encode())
        return bool(sep) and user_ok and password_ok


def unauthorized() -> Response:
    """HTTP 401 with a Basic challenge."""
    return Response(
        status_code=401,
        headers={"WWW-Authenticate": 'Basic realm="simulator"'},
        content=b"",
    )


def outcome_kind(outcome: Any) -> str:
    """The "ok" | "error" | "outage" verdict of a ``SimulatorControl.apply`` result."""
    if isinstance(outcome, str):
        return outcome
    for attribute in ("result", "kind", "verdict"):  # FaultOutcome.result in simulators.admin
        value = getattr(outcome, attribute, None)
        if isinstance(value, str):
            return value
    return str(getattr(outcome, "value", "ok"))


def outcome_slow_body_ms(outcome: Any) -> int:
    """The slow-body duration carried by a ``SimulatorControl.apply`` result (0 if none)."""
    value = getattr(outcome, "slow_body_ms", 0)
    return int(value) if isinstance(value, int | float) else 0


class SoapEndpoint:
    """One WSDL service (SOAP 1.1, document/literal) served at one path.

    ``handlers`` maps operation names to coroutines; operations without a handler answer with a
    Client fault. ``injected_error`` builds the fault rendered for an injected "error" so each
    simulator can use its system's own fault shape.
    """

    def __init__(
        self,
        wsdl_path: Path,
        handlers: Mapping[str, Handler],
        *,
        credentials: BasicCredentials,
        hooks: FaultHooks | None = None,
        port: str | None = None,
        injected_error: Callable[[str], SoapFault] | None = None,
        plain_replies: Collection[str] = (),
    ) -> None:
        self.wsdl_path = wsdl_path
        self.client: Any = load_client(wsdl_path)
        self.binding: Any = pick_binding(self.client, port)
        self.credentials = credentials
        self.hooks = hooks
        self.injected_error = injected_error or _default_injected_error
        unknown = (set(handlers) | set(plain_replies)) - set(self.binding._operations)
        if unknown:
            raise ValueError(f"handlers for operations not in the WSDL: {sorted(unknown)}")
        # Large replies are rendered by PlainRenderer (a tenth of zeep's CPU); the rest by zeep.
        self._plain: dict[str, PlainRenderer] = {
            name: PlainRenderer(self.binding._operations[name].output.body)
            for name in plain_replies
        }
        self.handlers = dict(handlers)
        # Document/literal: the body's first element names the operation.
        self._by_element: dict[str, Any] = {}
        for operation in self.binding._operations.values():
            body = getattr(operation.input, "body", None)
            if body is not None and body.qname is not None:
                self._by_element[body.qname.text] = operation
        self._wsdl_bytes = wsdl_path.read_bytes()

    def route(self, path: str) -> Route:
        """A Starlette route for this endpoint at ``path`` (GET: WSDL/XSD, POST: calls)."""
        return Route(path, self.handle, methods=["GET", "POST"])

    def element(self, qname: str) -> Any:
        """The zeep element ``{namespace}Name`` of this WSDL (to render fault details)."""
        return self.client.get_element(qname)

    def type(self, qname: str) -> Any:
        """The zeep type ``{namespace}Name`` of this WSDL (to build xsi:typed reply values)."""
        return self.client.get_type(qname)

    def render(self, qname: str, value: Any) -> etree._Element:
        """Serialize ``value`` as the global element ``qname`` (e.g. a fault detail)."""
        holder = etree.Element("holder")
        self.element(qname).render(holder, value)
        return holder[0]

    async def handle(self, request: Request) -> Response:
        """The ASGI endpoint: authenticate, then serve the WSDL/XSD or dispatch a call."""
        if not self.credentials.accepts(request):
            return unauthorized()
        if request.method == "GET":
            return self._serve_description(request)
        return await self._dispatch(request)

    # --- GET: the service description ----------------------------------------------------------

    def _serve_description(self, request: Request) -> Response:
        base = str(request.url.replace(query=""))
        if "wsdl" in request.query_params:
            wsdl = self._rewrite(self._wsdl_bytes, base, address=True)
            return Response(wsdl, media_type=_XML_TYPE)
        name = request.query_params.get("xsd")
        if name is not None:
            path = self.wsdl_path.parent / name
            if not _XSD_NAME.match(name) or not path.is_file():
                return Response("no such schema", status_code=404, media_type="text/plain")
            schema = self._rewrite(path.read_bytes(), base, address=False)
            return Response(schema, media_type=_XML_TYPE)
        return Response("SOAP endpoint: GET ?wsdl for the description", media_type="text/plain")

    def _rewrite(self, document: bytes, base: str, *, address: bool) -> bytes:
        root = etree.fromstring(document, _PARSER)
        if address:
            for tag in _ADDRESS_TAGS:
                for node in root.iter(tag):
                    node.set("location", base)
        for tag in (f"{{{_XSD_NS}}}import", f"{{{_XSD_NS}}}include"):
            for node in root.iter(tag):
                location = node.get("schemaLocation")
                if location and "://" not in location and "?" not in location:
                    node.set("schemaLocation", f"{base}?xsd={Path(location).name}")
        return etree.tostring(root, xml_declaration=True, encoding="utf-8")

    # --- POST: one call ------------------------------------------------------------------------

    async def _dispatch(self, request: Request) -> Response:
        return await self.respond(await request.body())

    async def respond(self, raw: bytes) -> Response:
        """Answer one request envelope (already authenticated): the whole POST path.

        Public so benchmarks and tests can drive the simulator without a socket.
        """
        try:
            envelope = etree.fromstring(raw, _PARSER)
        except etree.XMLSyntaxError:
            return self._fault(SoapFault("Client", "request is not well-formed XML"))
        body = envelope.find(f"{{{SOAP11_ENV}}}Body")
        first = (
            None
            if body is None
            else next((child for child in body if isinstance(child.tag, str)), None)
        )
        if first is None:
            return self._fault(SoapFault("Client", "no SOAP 1.1 Body element"))
        operation = self._by_element.get(first.tag)
        if operation is None:
            return self._fault(SoapFault("Client", "unknown operation"))
        name: str = operation.name

        if self.hooks is not None:
            self.hooks.record(name)
            outcome = await self.hooks.apply(name)
            kind = outcome_kind(outcome)
            if kind == "outage":
                return Response(status_code=503, content=b"")
            if kind == "error":
                return self._fault(self.injected_error(name))
            slow_body_ms = outcome_slow_body_ms(outcome)
        else:
            slow_body_ms = 0

        try:
            parsed = operation.input.deserialize(envelope)
        except (zeep.exceptions.Error, ValueError, TypeError) as exc:
            return self._fault(SoapFault("Client", f"request does not match the WSDL: {exc}"))
        handler = self.handlers.get(name)
        if handler is None:
            return self._fault(SoapFault("Client", f"operation {name} is not simulated"))
        arguments = {key: parsed[key] for key in parsed} if parsed is not None else {}
        try:
            result = await handler(**arguments)
        except SoapFault as fault:
            return self._fault(fault)
        content = self.render_reply(name, result)
        if slow_body_ms > 0:
            return StreamingResponse(
                _trickle(content, slow_body_ms), media_type=_XML_TYPE, status_code=200
            )
        return Response(content, media_type=_XML_TYPE)

    def _fault(self, fault: SoapFault) -> Response:
        return Response(render_fault(fault), status_code=fault.status, media_type=_XML_TYPE)

    def render_reply(self, operation: str, result: Any, *, plain: bool | None = None) -> bytes:
        """The reply envelope of ``operation`` holding a handler's ``result``.

        ``plain`` picks the renderer: :class:`PlainRenderer` for the operations named in
        ``plain_replies`` (the default), zeep's serializer otherwise or when ``plain`` is False.
        Public so tests can hold the two renderings of one result side by side.
        """
        renderer = self._plain.get(operation)
        if plain is None:
            plain = renderer is not None
        if plain and isinstance(result, Mapping):
            if renderer is None:
                renderer = PlainRenderer(self.binding._operations[operation].output.body)
            return renderer.envelope(result)
        output = self.binding._operations[operation].output
        result = zeep_value(result)
        serialized = (
            output.serialize(**result) if isinstance(result, Mapping) else output.serialize(result)
        )
        return etree.tostring(serialized.content, xml_declaration=True, encoding="utf-8")


def render_fault(fault: SoapFault) -> bytes:
    """A SOAP 1.1 envelope holding ``fault`` (faultcode, faultstring, optional detail)."""
    nsmap = {"S": SOAP11_ENV}
    envelope = etree.Element(f"{{{SOAP11_ENV}}}Envelope", nsmap=nsmap)
    body = etree.SubElement(envelope, f"{{{SOAP11_ENV}}}Body")
    node = etree.SubElement(body, f"{{{SOAP11_ENV}}}Fault")
    code = fault.code if ":" in fault.code else f"S:{fault.code}"
    etree.SubElement(node, "faultcode").text = code
    etree.SubElement(node, "faultstring").text = fault.message
    if fault.detail is not None:
        etree.SubElement(node, "detail").append(fault.detail)
    return etree.tostring(envelope, xml_declaration=True, encoding="utf-8")


def _default_injected_error(operation: str) -> SoapFault:
    return SoapFault("Server", f"injected error in {operation}")


async def _trickle(content: bytes, duration_ms: int) -> AsyncIterator[bytes]:
    """Send ``content`` in a few pieces spread over ``duration_ms`` (a slow back-office)."""
    size = max(1, -(-len(content) // _TRICKLE_CHUNKS))
    pause = duration_ms / 1000 / _TRICKLE_CHUNKS
    for start in range(0, len(content), size):
        yield content[start : start + size]
        await asyncio.sleep(pause)
