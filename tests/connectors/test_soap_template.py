"""The hot requests rendered from templates are the envelopes zeep builds for the same values.

For every documented person and a range of generated ones, each hot request of the dashboard
is rendered twice: by zeep, with the body the connectors passed before templates
(:mod:`bench.replies` builds it that way), and by the clients' templates
(:mod:`connectors.soap_template`). The two must be the same XML, canonically (elements,
order, texts, ``xsi:type`` resolved; prefixes aside), except the WS-Addressing MessageID,
which is a fresh UUID in both.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from lxml import etree

from bench.replies import Replies, from_template, typed_ids
from connectors.matrikkel import MatrikkelClient
from connectors.p360 import P360Client
from connectors.resilience import Resilience, ResiliencePolicy
from connectors.soap_template import RequestTemplate, slot
from simulators.population import Population, documented

GENERATED = range(documented.MIN_POPULATION_SIZE, 50)
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
MESSAGE_ID = "{http://www.w3.org/2005/08/addressing}MessageID"
UUID = re.compile(r"urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


@pytest.fixture(scope="module")
def replies() -> Replies:
    return Replies(Population(seed=2026, size=GENERATED.stop))


@pytest.fixture
async def clients() -> AsyncIterator[tuple[P360Client, MatrikkelClient]]:
    async with aiohttp.ClientSession() as session:
        yield (
            P360Client(
                session, "http://p360.invalid", "u", "p", Resilience("p360", ResiliencePolicy())
            ),
            MatrikkelClient(
                session,
                "http://matrikkel.invalid",
                "u",
                "p",
                Resilience("matrikkel", ResiliencePolicy()),
            ),
        )


def canonical(element: etree._Element) -> tuple[Any, ...]:
    """An element as a comparable tree (xsi:type resolved, MessageID checked and dropped)."""
    attributes = dict(element.attrib)
    if XSI_TYPE in attributes:
        prefix, _, local = attributes[XSI_TYPE].rpartition(":")
        attributes[XSI_TYPE] = f"{{{element.nsmap.get(prefix or None)}}}{local}"
    text = element.text
    if element.tag == MESSAGE_ID:
        assert text is not None and UUID.fullmatch(text)
        text = "<uuid>"
    return (element.tag, sorted(attributes.items()), text, [canonical(c) for c in element])


def assert_requests_alike(
    replies: Replies, clients: tuple[P360Client, MatrikkelClient], index: int
) -> None:
    for exchange in replies.exchanges(index):
        templated = from_template(*clients, exchange)
        assert canonical(etree.fromstring(templated)) == canonical(
            etree.fromstring(exchange.request)
        ), (index, exchange.operation)
        if exchange.operation == "getObjects":  # the fallback shares the templates' items
            by_zeep = replies.service(exchange).request("getObjectsIgnoreMissing", **exchange.body)
            ignoring = clients[1]._with_ids("getObjectsIgnoreMissing", typed_ids(exchange))
            assert canonical(etree.fromstring(ignoring)) == canonical(etree.fromstring(by_zeep))


@pytest.mark.parametrize("index", [person.index for person in documented.DOCUMENTED])
async def test_documented_persons_requests_alike(
    replies: Replies, clients: tuple[P360Client, MatrikkelClient], index: int
) -> None:
    assert_requests_alike(replies, clients, index)


async def test_generated_persons_requests_alike(
    replies: Replies, clients: tuple[P360Client, MatrikkelClient]
) -> None:
    for index in GENERATED:
        assert_requests_alike(replies, clients, index)


async def test_texts_are_escaped_and_message_ids_fresh(
    clients: tuple[P360Client, MatrikkelClient],
) -> None:
    p360, _ = clients
    first = p360._private_persons.render(pid="a<b&c>")
    second = p360._private_persons.render(pid="a<b&c>")
    assert b"a&lt;b&amp;c&gt;" in first
    ids = [etree.fromstring(data).findtext(f".//{MESSAGE_ID}") for data in (first, second)]
    assert ids[0] != ids[1]


def test_a_template_without_slots_is_the_envelope_itself(replies: Replies) -> None:
    exchange = next(replies.exchanges(documented.HOMEOWNER))
    service = replies.service(exchange)
    template = RequestTemplate(service.envelope("GetCases", parameter={"CaseNumber": "1"}))
    assert b"<ns0:CaseNumber>1</ns0:CaseNumber>" in template.render()
    assert slot("x") not in template.render().decode()
