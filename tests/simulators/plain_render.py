"""What the simulators' plain-render tests share: a comparable form of an XML tree, and the
result a simulator's handler gives for a recorded request (rendered both ways by the tests)."""

from __future__ import annotations

import asyncio
from typing import Any

from lxml import etree

from bench.replies import Exchange
from simulators.soap import SoapEndpoint

XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"


def canonical(element: etree._Element) -> tuple[Any, ...]:
    """An element as a comparable tree: Clark tags, attributes (xsi:type resolved), text."""
    attributes = dict(element.attrib)
    if XSI_TYPE in attributes:
        prefix, _, local = attributes[XSI_TYPE].rpartition(":")
        attributes[XSI_TYPE] = f"{{{element.nsmap.get(prefix or None)}}}{local}"
    return (
        element.tag,
        sorted(attributes.items()),
        element.text,
        [canonical(child) for child in element],
    )


def handler_result(endpoint: SoapEndpoint, exchange: Exchange) -> Any:
    envelope = etree.fromstring(exchange.request)
    body = envelope.find("{http://schemas.xmlsoap.org/soap/envelope/}Body")
    assert body is not None
    operation = endpoint._by_element[body[0].tag]
    parsed = operation.input.deserialize(envelope)
    return asyncio.run(endpoint.handlers[operation.name](**{key: parsed[key] for key in parsed}))
