"""A SOAP 1.1 service client: zeep builds and parses the XML, aiohttp carries it.

zeep's own async transport is httpx-based and would open its own connection pool per client, so
the gateway uses zeep only for what it is good at (the WSDL/XSD type system: building envelopes,
parsing replies) and sends the bytes through the application's shared ``aiohttp`` session.

Every failure leaves this module as a :mod:`connectors.errors` exception; no zeep, lxml or aiohttp
exception escapes :meth:`SoapService.call`. Messages never carry request or response content,
because a SOAP body can hold a fødselsnummer.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import zeep
import zeep.exceptions
from lxml import etree
from zeep.loader import parse_xml

from connectors.errors import ConnectorError, MalformedResponse, RemoteFault
from connectors.failures import SOAP_STATUSES, TRANSPORT_ERRORS, status_error, transport_error
from contracts.soap import load_client, pick_binding

__all__ = ["SoapFault", "SoapService"]

SOAP11_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
# Parsing a large reply (a StoreService batch of 1,000 objects) takes long enough to stall every
# other request on the event loop, so big bodies are parsed in a worker thread.
_THREAD_PARSE_BYTES = 256 * 1024


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

    async def call(
        self,
        session: aiohttp.ClientSession,
        auth: aiohttp.BasicAuth | str,
        operation: str,
        **body: Any,
    ) -> Any:
        """Call ``operation`` with ``body`` and return zeep's parsed result.

        ``auth`` is the HTTP Basic credential: an ``Authorization`` header value (build it once
        with ``aiohttp.encode_basic_auth(user, password)``; ``aiohttp.BasicAuth`` is deprecated
        in aiohttp 3.14) or, for older callers, a ``BasicAuth``.

        Raises :class:`SoapFault` for a SOAP Fault, :class:`RemoteFault` for other HTTP errors
        (``code="unauthorized"`` for 401), :class:`SystemUnavailable` for connection failures
        and 502/503/504, :class:`SystemTimeout` for a socket timeout of the session (the mapping
        is :mod:`connectors.failures`, read with :data:`~connectors.failures.SOAP_STATUSES`),
        and :class:`MalformedResponse` for a reply that is not the expected XML.
        """
        try:
            op = self.binding.get(operation)
        except ValueError as exc:
            raise ConnectorError(
                "unknown SOAP operation", system=self.system, operation=operation
            ) from exc
        try:
            envelope = self.envelope(operation, **body)
        except (zeep.exceptions.Error, TypeError, ValueError) as exc:
            # A bug in the connector (wrong body for the contract), not a remote failure.
            raise ConnectorError(
                "request does not match the WSDL", system=self.system, operation=operation
            ) from exc
        data = etree.tostring(envelope, xml_declaration=True, encoding="utf-8")
        headers = {
            "Content-Type": "text/xml; charset=utf-8",
            "SOAPAction": f'"{op.soapaction or ""}"',
            "Authorization": auth if isinstance(auth, str) else auth.encode(),
        }
        reply = await self._post(session, operation, data, headers)
        if len(reply.content) > _THREAD_PARSE_BYTES:
            return await asyncio.to_thread(self._process, operation, op, reply)
        return self._process(operation, op, reply)

    async def _post(
        self,
        session: aiohttp.ClientSession,
        operation: str,
        data: bytes,
        headers: dict[str, str],
    ) -> _Reply:
        where = {"system": self.system, "operation": operation}
        try:
            async with session.post(self.endpoint, data=data, headers=headers) as resp:
                if resp.status in SOAP_STATUSES:
                    # Decided on the status alone: no SOAP Fault can be behind these.
                    raise self._status_error(operation, resp.status)
                content = await resp.read()
                return _Reply(resp.status, content)
        except TRANSPORT_ERRORS as exc:
            raise transport_error(exc, **where) from exc

    def _status_error(self, operation: str, status: int) -> ConnectorError:
        return status_error(status, system=self.system, operation=operation, statuses=SOAP_STATUSES)

    def _process(self, operation: str, op: Any, reply: _Reply) -> Any:
        where = {"system": self.system, "operation": operation}
        try:
            doc = parse_xml(
                reply.content,  # type: ignore[arg-type]  # lxml accepts bytes; zeep's hint is narrow
                self.client.transport,
                settings=self.client.settings,
            )
        except (etree.XMLSyntaxError, zeep.exceptions.Error, ValueError) as exc:
            if reply.status != 200:
                raise self._status_error(operation, reply.status) from exc
            raise MalformedResponse("reply is not XML", **where) from exc
        fault = doc.find(f"{{{SOAP11_ENV}}}Body/{{{SOAP11_ENV}}}Fault")
        if fault is not None:
            raise _fault_error(fault, self.system, operation)
        if reply.status != 200:
            raise self._status_error(operation, reply.status)
        if not _has_expected_body(doc, op):
            # zeep quietly returns None for a foreign body element; that is a wrong reply.
            raise MalformedResponse("reply body is not the operation's response", **where)
        try:
            return op.process_reply(doc)
        except (zeep.exceptions.Error, etree.LxmlError, ValueError, TypeError, KeyError) as exc:
            raise MalformedResponse("reply does not match the WSDL", **where) from exc


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
