"""The P360 simulator's plain lxml rendering of large replies equals zeep's rendering.

GetCases, GetDocuments and GetPrivatePersons are rendered by
:class:`simulators.soap_render.PlainRenderer` instead of zeep's serializer. For the replies of
every documented person and a range of generated ones, both renderings of the same handler
result must be the same XML (same elements in the same order, same text, same nils; prefixes
aside) and read back by the connector's zeep path to the same models. That the replies still
validate against the WSDL's schemas is checked by test_p360_simulator.py, over HTTP.
"""

from __future__ import annotations

import pytest
from lxml import etree

from bench.replies import Replies
from connectors.p360.decoders import DECODERS
from connectors.soap import Parser
from simulators.population import Population, documented
from simulators.soap_render import PlainRenderer
from tests.simulators.plain_render import canonical, handler_result

GENERATED = range(documented.MIN_POPULATION_SIZE, 40)


@pytest.fixture(scope="module")
def replies() -> Replies:
    return Replies(Population(seed=2026, size=GENERATED.stop))


def assert_renders_alike(replies: Replies, index: int) -> None:
    for exchange in replies.exchanges(index):
        if exchange.system != "p360":
            continue
        endpoint = replies.endpoint(exchange)
        result = handler_result(endpoint, exchange)
        plain = endpoint.render_reply(exchange.operation, result, plain=True)
        by_zeep = endpoint.render_reply(exchange.operation, result, plain=False)
        assert canonical(etree.fromstring(plain)) == canonical(etree.fromstring(by_zeep)), (
            index,
            exchange.operation,
        )
        service, decoder = replies.service(exchange), DECODERS[exchange.operation]
        assert service.decode(exchange.operation, plain, decoder, path=Parser.ZEEP) == (
            service.decode(exchange.operation, by_zeep, decoder, path=Parser.ZEEP)
        )


@pytest.mark.parametrize("index", [person.index for person in documented.DOCUMENTED])
def test_documented_persons_render_alike(replies: Replies, index: int) -> None:
    assert_renders_alike(replies, index)


def test_generated_persons_render_alike(replies: Replies) -> None:
    for index in GENERATED:
        assert_renders_alike(replies, index)


def test_the_endpoint_renders_the_hot_replies_plainly(replies: Replies) -> None:
    exchange = next(replies.exchanges(documented.HOMEOWNER))
    assert exchange.operation == "GetCases"
    assert isinstance(replies.endpoint(exchange)._plain["GetCases"], PlainRenderer)


def test_a_value_the_contract_does_not_have_is_refused(replies: Replies) -> None:
    endpoint = replies.endpoint(next(replies.exchanges(documented.HOMEOWNER)))
    with pytest.raises(TypeError):
        endpoint.render_reply("GetCases", {"GetCasesResult": {"Successful": True, "Extra": 1}})
    with pytest.raises(TypeError):
        endpoint.render_reply("GetCases", {"GetCasesResult": {"Successful": {"nested": 1}}})


def test_nil_and_absent_values_render_like_zeep(replies: Replies) -> None:
    endpoint = replies.endpoint(next(replies.exchanges(documented.HOMEOWNER)))
    result = {
        "GetCasesResult": {
            "Successful": False,
            "ErrorMessage": None,
            "Cases": {"CaseResult": [None, {"Recno": 1, "Title": ""}]},
        }
    }
    plain = endpoint.render_reply("GetCases", result, plain=True)
    by_zeep = endpoint.render_reply("GetCases", result, plain=False)
    assert canonical(etree.fromstring(plain)) == canonical(etree.fromstring(by_zeep))
