"""A SOAP 1.1 service client: zeep builds the XML, aiohttp carries it, lxml or zeep reads it.

zeep's own async transport is httpx-based and would open its own connection pool per client, so
the gateway uses zeep only for what it is good at (the WSDL/XSD type system: building envelopes,
parsing replies) and sends the bytes through the application's shared ``aiohttp`` session.
Hot replies are read straight from lxml into the connector's models by a
:class:`ReplyDecoder`, whose zeep reading stays as the reference the tests compare it with.

Every failure leaves this module as a :mod:`connectors.errors` exception; no zeep, lxml or aiohttp
exception escapes :meth:`SoapService.call`. Messages never carry request or response content,
because a SOAP body can hold a fødselsnummer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, Generic, TypeVar

import aiohttp
import zeep
import zeep.exceptions
from lxml import etree
from zeep.loader import parse_xml

from connectors.errors import ConnectorError, MalformedResponse, RemoteFault
from connectors.failures import SOAP_STATUSES, TRANSPORT_ERRORS, status_error, transport_error
from connectors.observe import with_trace_headers
from connectors.session import send_once_more_if_stale
from connectors.soap_template import ItemTemplate, RequestTemplate, StreamedEnvelope, item_of
from contracts.soap import load_client, pick_binding

__all__ = ["SHAPE_ERRORS", "Parser", "ReplyDecoder", "SoapFault", "SoapService", "read_shaped"]

T = TypeVar("T")

# What reading a reply of the wrong shape raises: a missing child, a text that is no number...
SHAPE_ERRORS: tuple[type[Exception], ...] = (
    AttributeError,
    TypeError,
    ValueError,
    KeyError,
    IndexError,
)

SOAP11_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
# Parsing a large reply (a StoreService batch of 1,000 objects) takes long enough to stall every
# other request on the event loop, so big bodies are parsed in a worker thread.
_THREAD_PARSE_BYTES = 256 * 1024


def read_shaped(read: Callable[[Any], T], value: Any, *, system: str, operation: str) -> T:
    """``read(value)``, with a reply of the wrong shape as :class:`MalformedResponse` (the
    connector's own errors pass through)."""
    try:
        return read(value)
    except ConnectorError:
        raise
    except SHAPE_ERRORS as exc:
        raise MalformedResponse(
            "reply has an unexpected shape", system=system, operation=operation
        ) from exc


class SoapFault(RemoteFault):
    """The service answered with a SOAP Fault.

    ``code`` is the local name of the first element in ``<detail>`` (e.g. ``ServiceException``)
    when there is one, else the ``faultcode``. ``fault_string`` and ``detail`` are kept as
    attributes (never in the message) because they may echo personal data from the request.
    """

    def __init__(
        self,
        message: str = "",
        *,
        system: str | None = None,
        operation: str | None = None,
        code: str | None = None,
        fault_code: str | None = None,
        fault_string: str | None = None,
        detail: etree._Element | None = None,
    ) -> None:
        super().__init__(message, system=system, operation=operation, code=code)
        self.fault_code = fault_code
        self.fault_string = fault_string
        self.detail = detail


@dataclass(frozen=True)
class _Reply:
    status: int
    content: bytes


class Parser(Enum):
    """Which parser reads a reply: zeep (the contract's own) or the decoder's lxml reader."""

    ZEEP = "zeep"
    LXML = "lxml"


@dataclass(frozen=True)
class ReplyDecoder(Generic[T]):
    """How one operation's reply becomes the connector's models.

    ``from_zeep`` reads zeep's parsed result (the reference reading, driven by the WSDL);
    ``from_xml``, when given, reads the output element (e.g. ``GetCasesResponse``) straight
    with lxml and is what production uses, because zeep's generic parsing costs 5–16 times
    more CPU on large replies. Both must give equal models for the same bytes; the
    parser-equivalence tests hold them to that.
    """

    from_zeep: Callable[[Any], T]
    from_xml: Callable[[etree._Element], T] | None = None


_RAW: ReplyDecoder[Any] = ReplyDecoder(from_zeep=lambda result: result)


class SoapService:
    """One WSDL service, loaded once from a vendored file, called over an injected session.

    ``endpoint`` is the URL the envelopes are POSTed to (the WSDL's own address is ignored).
    When the WSDL has several ports, the first SOAP 1.1 port is used unless ``port`` names one.
    """

    def __init__(
        self,
        wsdl_path: Path,
        endpoint: str,
        system: str,
        *,
        port: str | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.system = system
        self.client: Any = load_client(wsdl_path)
        self.binding: Any = pick_binding(self.client, port)

    def type(self, qname: str) -> Any:
        """The zeep type for ``{namespace}Name``, e.g. to build an xsi:typed id."""
        return self.client.get_type(qname)

    def element(self, qname: str) -> Any:
        """The zeep element for ``{namespace}Name``."""
        return self.client.get_element(qname)

    def envelope(self, operation: str, **body: Any) -> etree._Element:
        """Build the request envelope for ``operation`` (raises zeep errors on a bad body)."""
        # Binding._create is what zeep's own ServiceProxy calls; going through it directly lets the
        # WS-Addressing header name our endpoint instead of the WSDL's placeholder address.
        envelope, _headers = self.binding._create(
            operation, (), body, client=self.client, options={"address": self.endpoint}
        )
        return envelope  # type: ignore[no-any-return]

    def request(self, operation: str, **body: Any) -> bytes:
        """The request bytes zeep renders for ``operation`` with ``body``."""
        try:
            envelope = self.envelope(operation, **body)
        except (zeep.exceptions.Error, TypeError, ValueError) as exc:
            # A bug in the connector (wrong body for the contract), not a remote failure.
            raise ConnectorError(
                "request does not match the WSDL", system=self.system, operation=operation
            ) from exc
        return etree.tostring(envelope, xml_declaration=True, encoding="utf-8")

    def template(
        self, operation: str, list_path: tuple[str, ...] = (), **sample: Any
    ) -> RequestTemplate:
        """A :class:`~connectors.soap_template.RequestTemplate` zeep renders from ``sample``
        (whose varying texts are :func:`~connectors.soap_template.slot` markers)."""
        return RequestTemplate(self.envelope(operation, **sample), list_path)

    def item_template(
        self, operation: str, list_path: tuple[str, ...], **sample: Any
    ) -> ItemTemplate:
        """The template of the one item in ``list_path`` of ``sample`` (e.g. a typed id)."""
        return item_of(self.envelope(operation, **sample), list_path)

    async def call(
        self,
        session: aiohttp.ClientSession,
        auth: aiohttp.BasicAuth | str,
        operation: str,
        decoder: ReplyDecoder[Any] | None = None,
        *,
        idempotent: bool = False,
        prepared: bytes | StreamedEnvelope | None = None,
        **body: Any,
    ) -> Any:
        """Call ``operation`` with ``body`` and return its reply read by ``decoder``.

        Without a decoder the result is zeep's parsed reply. With one, its lxml reader is used
        when it has one, else its zeep reading. ``idempotent`` lets a request that met a
        keep-alive connection the server had already closed go out once more on a fresh one
        (:func:`connectors.session.send_once_more_if_stale`); writes are sent once.
        ``prepared`` is the envelope already rendered from a :meth:`template` (``body`` is
        then not used): zeep need not build it again; a :class:`StreamedEnvelope` is written
        to the socket piece by piece.

        ``auth`` is the HTTP Basic credential: an ``Authorization`` header value (build it once
        with ``aiohttp.encode_basic_auth(user, password)``; ``aiohttp.BasicAuth`` is deprecated
        in aiohttp 3.14) or, for older callers, a ``BasicAuth``.

        Raises :class:`SoapFault` for a SOAP Fault, :class:`RemoteFault` for other HTTP errors
        (``code="unauthorized"`` for 401), :class:`SystemUnavailable` for connection failures
        and 502/503/504, :class:`SystemTimeout` for a socket timeout of the session (the mapping
        is :mod:`connectors.failures`, read with :data:`~connectors.failures.SOAP_STATUSES`),
        and :class:`MalformedResponse` for a reply that is not the expected XML or that the
        decoder cannot read.
        """
        op = self._operation(operation)
        data = prepared if prepared is not None else self.request(operation, **body)
        headers = {
            "Content-Type": "text/xml; charset=utf-8",
            "SOAPAction": f'"{op.soapaction or ""}"',
            "Authorization": auth if isinstance(auth, str) else auth.encode(),
        }
        with_trace_headers(headers)  # W3C traceparent of the active span (connectors.observe)
        reply = await self._post(session, operation, data, headers, idempotent=idempotent)
        chosen = decoder or _RAW
        path = Parser.LXML if chosen.from_xml is not None else Parser.ZEEP
        if len(reply.content) > _THREAD_PARSE_BYTES:
            return await asyncio.to_thread(
                self.decode, operation, reply.content, chosen, path=path, status=reply.status
            )
        return self.decode(operation, reply.content, chosen, path=path, status=reply.status)

    def decode(
        self,
        operation: str,
        content: bytes,
        decoder: ReplyDecoder[T],
        *,
        path: Parser = Parser.LXML,
        status: int = 200,
    ) -> T:
        """Read the reply bytes ``content`` of ``operation`` with ``decoder`` along ``path``.

        Faults, statuses and a foreign body element are judged the same way on both paths,
        so the two differ only in how the output element becomes models. Public so tests and
        ``bench.parsing`` can feed one reply to both paths.
        """
        where = {"system": self.system, "operation": operation}
        op = self._operation(operation)
        doc = self._document(operation, content, status)
        if path is Parser.LXML and decoder.from_xml is not None:
            output = _output_element(doc)
            assert output is not None  # _document checked the body
            return read_shaped(decoder.from_xml, output, system=self.system, operation=operation)
        try:
            result = op.process_reply(doc)
        except (zeep.exceptions.Error, etree.LxmlError, ValueError, TypeError, KeyError) as exc:
            raise MalformedResponse("reply does not match the WSDL", **where) from exc
        return read_shaped(decoder.from_zeep, result, system=self.system, operation=operation)

    def _operation(self, operation: str) -> Any:
        try:
            return self.binding.get(operation)
        except ValueError as exc:
            raise ConnectorError(
                "unknown SOAP operation", system=self.system, operation=operation
            ) from exc

    async def _post(
        self,
        session: aiohttp.ClientSession,
        operation: str,
        data: bytes | StreamedEnvelope,
        headers: dict[str, str],
        *,
        idempotent: bool = False,
    ) -> _Reply:
        where = {"system": self.system, "operation": operation}

        async def send() -> aiohttp.ClientResponse:
            return await session.post(self.endpoint, data=data, headers=headers)

        try:
            resp = await send_once_more_if_stale(send, idempotent=idempotent)
            async with resp:
                if resp.status in SOAP_STATUSES:
                    # Decided on the status alone: no SOAP Fault can be behind these.
                    raise self._status_error(operation, resp.status)
                content = await resp.read()
                return _Reply(resp.status, content)
        except TRANSPORT_ERRORS as exc:
            raise transport_error(exc, **where) from exc

    def _status_error(self, operation: str, status: int) -> ConnectorError:
        return status_error(status, system=self.system, operation=operation, statuses=SOAP_STATUSES)

    def _document(self, operation: str, content: bytes, status: int) -> etree._Element:
        """The parsed envelope of a reply that is neither a fault, an error status nor a
        foreign body; raises the matching connector error otherwise."""
        where = {"system": self.system, "operation": operation}
        op = self._operation(operation)
        try:
            doc: etree._Element = parse_xml(
                content,  # type: ignore[arg-type]  # lxml accepts bytes; zeep's hint is narrow
                self.client.transport,
                settings=self.client.settings,
            )
        except (etree.XMLSyntaxError, zeep.exceptions.Error, ValueError) as exc:
            if status != 200:
                raise self._status_error(operation, status) from exc
            raise MalformedResponse("reply is not XML", **where) from exc
        fault = doc.find(f"{{{SOAP11_ENV}}}Body/{{{SOAP11_ENV}}}Fault")
        if fault is not None:
            raise _fault_error(fault, self.system, operation)
        if status != 200:
            raise self._status_error(operation, status)
        if not _has_expected_body(doc, op):
            # zeep quietly returns None for a foreign body element; that is a wrong reply.
            raise MalformedResponse("reply body is not the operation's response", **where)
        return doc


def _output_element(doc: etree._Element) -> etree._Element | None:
    """The first element inside the SOAP Body (the operation's output element)."""
    body = doc.find(f"{{{SOAP11_ENV}}}Body")
    if body is None:
        return None
    return next((child for child in body if isinstance(child.tag, str)), None)


def _has_expected_body(doc: etree._Element, op: Any) -> bool:
    """True when the SOAP Body holds the output element the WSDL promises (document style)."""
    body = doc.find(f"{{{SOAP11_ENV}}}Body")
    if body is None:
        return False
    expected = getattr(getattr(op.output, "body", None), "qname", None)
    if expected is None:
        return True  # rpc style or an empty output: zeep checks those itself
    first = next((child for child in body if isinstance(child.tag, str)), None)
    return first is not None and first.tag == expected.text


def _fault_error(fault: etree._Element, system: str, operation: str) -> SoapFault:
    """Turn a SOAP 1.1 ``<Fault>`` into a :class:`SoapFault` (content kept off the message)."""
    fault_code = fault.findtext("faultcode")
    fault_string = fault.findtext("faultstring")
    detail = fault.find("detail")
    code = fault_code
    if detail is not None:
        children = [child for child in detail if isinstance(child.tag, str)]
        if children:
            code = etree.QName(children[0]).localname
    return SoapFault(
        "SOAP fault",
        system=system,
        operation=operation,
        code=code,
        fault_code=fault_code,
        fault_string=fault_string,
        detail=detail,
    )
