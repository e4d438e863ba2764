"""Parser equivalence for Matrikkel: lxml's reading of a reply equals zeep's, record for record.

The client reads getObjects and the find* operations with :mod:`connectors.matrikkel.read`
(lxml) instead of zeep's generic parser; these tests feed the same reply bytes to both paths
(:meth:`connectors.soap.SoapService.decode`) and demand equal records (properties, addresses,
roads, postal areas, buildings, ids), or the same error:

- the simulator's replies for every documented person and a range of generated ones;
- hand-made objects at the edges of the contract (missing and empty elements, untyped ids,
  text zeep cannot convert).
"""

from __future__ import annotations

from typing import Any

import pytest

from bench.replies import Replies, decoder_for
from connectors.errors import ConnectorError
from connectors.matrikkel.client import SERVICES, WSDL_DIR
from connectors.matrikkel.decoders import objects
from connectors.soap import Parser, ReplyDecoder, SoapService
from simulators.population import Population, documented

GENERATED = range(documented.MIN_POPULATION_SIZE, 70)


@pytest.fixture(scope="module")
def replies() -> Replies:
    return Replies(Population(seed=2026, size=GENERATED.stop))


def both_paths(
    service: SoapService, operation: str, content: bytes, decoder: ReplyDecoder[Any]
) -> tuple[Any, Any]:
    """(zeep's records or error, lxml's records or error) for one reply."""
    outcomes = []
    for path in (Parser.ZEEP, Parser.LXML):
        try:
            outcomes.append(service.decode(operation, content, decoder, path=path))
        except ConnectorError as exc:
            outcomes.append((type(exc), str(exc), exc.system, exc.operation))
    return outcomes[0], outcomes[1]


def assert_person_reads_alike(replies: Replies, index: int) -> int:
    checked = 0
    for exchange in replies.exchanges(index):
        if exchange.system != "matrikkel":
            continue
        zeep_records, lxml_records = both_paths(
            replies.service(exchange),
            exchange.operation,
            replies.answer(exchange),
            decoder_for(exchange),
        )
        assert lxml_records == zeep_records, (index, exchange.operation)
        checked += 1
    return checked


@pytest.mark.parametrize("index", [person.index for person in documented.DOCUMENTED])
def test_documented_persons_read_alike(replies: Replies, index: int) -> None:
    assert assert_person_reads_alike(replies, index) >= 2


def test_generated_persons_read_alike(replies: Replies) -> None:
    for index in GENERATED:
        assert_person_reads_alike(replies, index)


def test_landowner_objects_are_all_read(replies: Replies) -> None:
    # 24 properties: every kind of object the dashboard reads comes back as a record.
    kinds = set()
    for exchange in replies.exchanges(documented.LANDOWNER):
        if exchange.operation == "getObjects":
            records = replies.service(exchange).decode(
                exchange.operation, replies.answer(exchange), decoder_for(exchange)
            )
            kinds.update(type(record).__name__ for record in records.values())
    assert kinds == {
        "Property",
        "AddressRecord",
        "RoadRecord",
        "PostalAreaRecord",
        "BuildingRecord",
    }


# --- hand-made replies ----------------------------------------------------------------------

V1 = "http://matrikkel.statkart.no/matrikkelapi/wsapi/v1"
NAMESPACES = (
    f'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:d="{V1}/domain" '
    f'xmlns:m="{V1}/domain/matrikkelenhet" xmlns:a="{V1}/domain/adresse" '
    f'xmlns:b="{V1}/domain/bygning" xmlns:g="{V1}/domain/geometri" xmlns:u="{V1}/domain/util" '
    f'xmlns:p="{V1}/domain/person"'
)
BUBBLE = (
    "<d:id xsi:type='{id_type}'><d:value>{value}</d:value></d:id>"
    "<d:oppdateringsdato xsi:nil='true'/><d:versjonId>0</d:versjonId>"
    "<d:oppdatertAv xsi:nil='true'/><d:versjon>0</d:versjon>"
)


def store_reply(*items: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
        f'<r:getObjectsResponse xmlns:r="{V1}/service/store" {NAMESPACES}><r:return>'
        + "".join(items)
        + "</r:return></r:getObjectsResponse></s:Body></s:Envelope>"
    ).encode()


def grunneiendom(matrikkelnummer: str, rest: str = "", value: int = 7) -> str:
    return (
        "<d:item xsi:type='m:Grunneiendom'>"
        + BUBBLE.format(id_type="m:MatrikkelenhetId", value=value)
        + matrikkelnummer
        + rest
        + "</d:item>"
    )


NUMBER = (
    "<m:matrikkelnummer><m:kommuneId><d:value>301</d:value></m:kommuneId>"
    "<m:gardsnummer>{gnr}</m:gardsnummer><m:bruksnummer>45</m:bruksnummer>"
    "<m:festenummer>{fnr}</m:festenummer><m:seksjonsnummer>0</m:seksjonsnummer>"
    "</m:matrikkelnummer>"
)
OWNER = (
    "<m:item xsi:type='m:PersonTinglystEierforhold'><d:oppdateringsdato xsi:nil='true'/>"
    "<d:versjonId>0</d:versjonId><d:oppdatertAv xsi:nil='true'/>"
    "<m:andel><u:teller>{teller}</u:teller><u:nevner>2</u:nevner></m:andel>"
    "<m:eierId xsi:type='p:FysiskPersonId'><d:value>50000001</d:value></m:eierId></m:item>"
)


def vegadresse(rest: str, value: int = 8) -> str:
    return (
        "<d:item xsi:type='a:Vegadresse'>"
        + BUBBLE.format(id_type="a:VegadresseId", value=value)
        + rest
        + "</d:item>"
    )


POINT = (
    "<a:representasjonspunkt><g:koordinatsystemKodeId><d:value>10</d:value>"
    "</g:koordinatsystemKodeId><g:position><g:x>{x}</g:x><g:y>6653346.5</g:y><g:z>0.0</g:z>"
    "</g:position></a:representasjonspunkt>"
)
ADDRESS_IDS = (
    "<a:matrikkelenhetId><d:value>7</d:value></a:matrikkelenhetId>"
    "<a:kretsIds>{kretser}</a:kretsIds><a:vegId><d:value>8</d:value></a:vegId>"
)


def bygning(rest: str) -> str:
    return (
        "<d:item xsi:type='b:Bygning'>"
        + BUBBLE.format(id_type="b:BygningId", value=9)
        + rest
        + "</d:item>"
    )


STATUS = (
    "<b:item><d:oppdateringsdato xsi:nil='true'/><d:versjonId>0</d:versjonId>"
    "<d:oppdatertAv xsi:nil='true'/><b:bygningsstatusKodeId><d:value>6</d:value>"
    "</b:bygningsstatusKodeId>{dato}</b:item>"
)

EDGE_REPLIES: dict[str, bytes] = {
    "property": store_reply(
        grunneiendom(
            NUMBER.format(gnr=12, fnr=0),
            "<m:historiskOppgittAreal> 853.5 </m:historiskOppgittAreal>"
            f"<m:tinglyst>true</m:tinglyst><m:eierforhold>{OWNER.format(teller=1)}"
            "</m:eierforhold>",
        )
    ),
    "property without area and owners": store_reply(grunneiendom(NUMBER.format(gnr=12, fnr=0))),
    "property with empty owner list": store_reply(
        grunneiendom(NUMBER.format(gnr=1, fnr=0), "<m:eierforhold/>")
    ),
    "property with a share that is no number": store_reply(
        grunneiendom(
            NUMBER.format(gnr=12, fnr=3),
            f"<m:eierforhold>{OWNER.format(teller='en')}</m:eierforhold>",
        )
    ),
    "property whose gardsnummer is no number": store_reply(
        grunneiendom(NUMBER.format(gnr="x", fnr=0))
    ),
    "property without matrikkelnummer": store_reply(grunneiendom("")),
    "object of a type outside the table": store_reply(
        "<d:item xsi:type='m:Matrikkelenhet'>"
        + BUBBLE.format(id_type="m:MatrikkelenhetId", value=7)
        + NUMBER.format(gnr=1, fnr=0)
        + "</d:item>"
    ),
    "address": store_reply(
        vegadresse(
            POINT.format(x="277613.25")
            + ADDRESS_IDS.format(
                kretser="<a:item xsi:type='a:PostnummeromradeId'><d:value>8</d:value></a:item>"
                "<a:item xsi:type='a:KirkesognId'><d:value>3</d:value></a:item>"
            )
            + "<a:nummer>115</a:nummer><a:bokstav>B</a:bokstav>"
        )
    ),
    "address without point, letter and districts": store_reply(
        vegadresse(ADDRESS_IDS.format(kretser="") + "<a:nummer>2</a:nummer><a:bokstav/>")
    ),
    "address with an untyped district": store_reply(
        vegadresse(
            ADDRESS_IDS.format(kretser="<a:item><d:value>8</d:value></a:item>")
            + "<a:nummer>2</a:nummer>"
        )
    ),
    "address whose x is no number": store_reply(
        vegadresse(
            POINT.format(x="east") + ADDRESS_IDS.format(kretser="") + "<a:nummer>2</a:nummer>"
        )
    ),
    "road and postal area": store_reply(
        "<d:item xsi:type='a:Veg'>"
        + BUBBLE.format(id_type="a:VegId", value=8)
        + "<a:kommuneId><d:value>3030</d:value></a:kommuneId><a:adressekode>1</a:adressekode>"
        "<a:adressenavn> Sagvegen </a:adressenavn></d:item>"
        "<d:item xsi:type='a:Postnummeromrade'>"
        + BUBBLE.format(id_type="a:PostnummeromradeId", value=8)
        + "<a:kretsnummer>0010</a:kretsnummer><a:kretsnavn>Oslo</a:kretsnavn></d:item>"
    ),
    "building": store_reply(
        bygning(
            "<b:bygningsnummer>200001000</b:bygningsnummer><b:bebygdAreal>257</b:bebygdAreal>"
            "<b:etasjer><b:item><d:oppdateringsdato xsi:nil='true'/><d:versjonId>0</d:versjonId>"
            "<d:oppdatertAv xsi:nil='true'/><b:etasjenummer>1</b:etasjenummer></b:item>"
            "</b:etasjer><b:bygningsstatusHistorikker>"
            + STATUS.format(dato="<b:dato><d:date>1991-01-01</d:date></b:dato>")
            + STATUS.format(dato="")
            + "</b:bygningsstatusHistorikker>"
            "<b:bygningstypeKodeId><d:value>112</d:value></b:bygningstypeKodeId>"
        )
    ),
    "building with a date zeep reads its own way": store_reply(
        bygning(
            "<b:bygningsnummer>1</b:bygningsnummer><b:bebygdAreal xsi:nil='true'/>"
            "<b:bygningsstatusHistorikker>"
            + STATUS.format(dato="<b:dato><d:date>1991-01-01Z</d:date></b:dato>")
            + "</b:bygningsstatusHistorikker>"
        )
    ),
    "building with an impossible date": store_reply(
        bygning(
            "<b:bygningsnummer>1</b:bygningsnummer><b:bebygdAreal xsi:nil='true'/>"
            "<b:bygningsstatusHistorikker>"
            + STATUS.format(dato="<b:dato><d:date>1991-02-30</d:date></b:dato>")
            + "</b:bygningsstatusHistorikker>"
        )
    ),
    "building without number": store_reply(
        bygning("<b:bygningsnummer xsi:nil='true'/><b:bebygdAreal>1.5</b:bebygdAreal>")
    ),
    "object without id value": store_reply(
        "<d:item xsi:type='a:Veg'><d:id xsi:type='a:VegId'/></d:item>"
    ),
    "nothing": store_reply(),
}

ASKED = {7: "MatrikkelenhetId", 8: "AdresseId", 9: "ByggId", 3: "KretsId"}


@pytest.fixture(scope="module")
def store() -> SoapService:
    assert "StoreServiceWS" in SERVICES
    return SoapService(WSDL_DIR / "StoreServiceWS.wsdl", "http://matrikkel.invalid", "matrikkel")


@pytest.mark.parametrize("name", sorted(EDGE_REPLIES))
def test_edge_objects_read_alike(name: str, store: SoapService) -> None:
    asked = dict(ASKED)
    if name == "road and postal area":
        asked[8] = "VegId"
    zeep_outcome, lxml_outcome = both_paths(store, "getObjects", EDGE_REPLIES[name], objects(asked))
    assert lxml_outcome == zeep_outcome
