"""The Matrikkel simulator's plain lxml rendering equals zeep's rendering of the same bubbles.

Every Matrikkel reply (getObjects bubbles, id lists and maps, the PersonId) is rendered by
:class:`simulators.soap_render.PlainRenderer` from :class:`~simulators.soap_render.Typed`
trees instead of zeep value objects and zeep's serializer. For the replies of every
documented person and a range of generated ones, both renderings of the same handler result
must be the same XML: same elements in the same order, same text, same nils, same
``xsi:type`` (prefixes aside). The connector tests read these replies with zeep's strict
parser over HTTP, which refuses anything the WSDL does not allow.
"""

from __future__ import annotations

import pytest
from lxml import etree

from bench.replies import Replies
from simulators.population import Population, documented
from simulators.soap_render import Typed, zeep_value
from tests.simulators.plain_render import canonical, handler_result

GENERATED = range(documented.MIN_POPULATION_SIZE, 60)


@pytest.fixture(scope="module")
def replies() -> Replies:
    return Replies(Population(seed=2026, size=GENERATED.stop))


def assert_renders_alike(replies: Replies, index: int) -> int:
    rendered = 0
    for exchange in replies.exchanges(index):
        if exchange.system != "matrikkel":
            continue
        endpoint = replies.endpoint(exchange)
        result = handler_result(endpoint, exchange)
        plain = endpoint.render_reply(exchange.operation, result, plain=True)
        by_zeep = endpoint.render_reply(exchange.operation, result, plain=False)
        assert canonical(etree.fromstring(plain)) == canonical(etree.fromstring(by_zeep)), (
            index,
            exchange.operation,
        )
        rendered += 1
    return rendered


@pytest.mark.parametrize("index", [person.index for person in documented.DOCUMENTED])
def test_documented_persons_render_alike(replies: Replies, index: int) -> None:
    assert assert_renders_alike(replies, index) >= 2


def test_generated_persons_render_alike(replies: Replies) -> None:
    for index in GENERATED:
        assert_renders_alike(replies, index)


def test_typed_values_become_zeep_objects_for_zeep(replies: Replies) -> None:
    exchange = next(e for e in replies.exchanges(documented.HOMEOWNER) if e.system == "matrikkel")
    endpoint = replies.endpoint(exchange)
    typed = endpoint.type(
        "{http://matrikkel.statkart.no/matrikkelapi/wsapi/v1/domain/person}FysiskPersonId"
    )
    value = zeep_value({"return": Typed(typed, {"value": 7}), "list": [Typed(typed, {"value": 8})]})
    assert value["return"].value == 7 and value["list"][0].value == 8
