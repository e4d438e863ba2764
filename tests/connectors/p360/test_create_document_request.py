"""CreateDocument's streamed request is the envelope zeep builds, written in bounded chunks.

``P360Client.create_document`` no longer has zeep build the envelope with the files' base64 in
it (about ten times the files in memory, issue 13); it renders it from a template zeep wrote
once (:mod:`connectors.soap_template`) and encodes each file's base64 a chunk at a time while
aiohttp writes it. Here the streamed envelope is compared with zeep's for the same arguments
(canonically: prefixes and the MessageID aside), its chunks are bounded, its size is its
length, and a text XML cannot carry is refused as zeep refused it. The P360 simulator's
acceptance of it (files read back byte for byte) and what goes on the wire are tested in
test_p360_client.py (this file opens no socket).
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import AsyncIterator, Sequence
from typing import Any

import aiohttp
import pytest
from lxml import etree

from connectors.errors import ConnectorError
from connectors.p360 import DocumentDirection, NewFile, P360Client, codes
from connectors.resilience import Resilience, ResiliencePolicy
from connectors.soap_template import BASE64_CHUNK, Base64Text

MESSAGE_ID = "{http://www.w3.org/2005/08/addressing}MessageID"
UUID = re.compile(r"urn:uuid:[0-9a-f-]{36}")
PID = "01010112345"  # a synthetic number: it only travels in the envelope under test


@pytest.fixture
async def client() -> AsyncIterator[P360Client]:
    async with aiohttp.ClientSession() as session:
        yield P360Client(
            session, "http://p360.invalid", "u", "p", Resilience("p360", ResiliencePolicy())
        )


def zeep_envelope(
    client: P360Client,
    *,
    case_number: str,
    title: str,
    files: Sequence[NewFile],
    idempotency_key: str,
    sender_pid: str | None = None,
    direction: DocumentDirection = DocumentDirection.INCOMING,
) -> bytes:
    """What create_document sent before the template: zeep's envelope of this parameter."""
    parameter: dict[str, Any] = {
        "CaseNumber": case_number,
        "Title": title,
        "Category": codes.CATEGORY_BY_DIRECTION[direction],
        "Status": "J",
        "AccessCode": codes.ACCESS_CODE_UNOFFICIAL,
        "Paragraph": codes.UNOFFICIAL_PARAGRAPH,
        "SendersReference": idempotency_key,
        "Files": {
            "CreateFileParameter": [
                {
                    "Title": file.title,
                    "Format": file.format,
                    "Base64Data": base64.b64encode(file.data).decode("ascii"),
                    "Status": "F",
                }
                for file in files
            ]
        },
    }
    if sender_pid is not None:
        parameter["Contacts"] = {
            "DocumentContactParameter": [
                {"Role": codes.ROLE_SENDER, "ReferenceNumber": sender_pid, "IsUnofficial": True}
            ]
        }
    return client._services["DocumentService"].request("CreateDocument", parameter=parameter)


def canonical(element: etree._Element) -> tuple[Any, ...]:
    """An element as a comparable tree (the MessageID checked to be a UUID and dropped)."""
    text = element.text
    if element.tag == MESSAGE_ID:
        assert text is not None and UUID.fullmatch(text)
        text = "<uuid>"
    return (element.tag, sorted(element.attrib.items()), text, [canonical(c) for c in element])


CASES: list[dict[str, Any]] = [
    # the application: form PDF and attachments of sizes around the chunk boundaries
    {
        "case_number": "2026/00042",
        "title": "Søknad om startlån & <bostøtte>",
        "files": [
            NewFile("Søknad om startlån", "pdf", os.urandom(5000)),
            NewFile('lønnsslipp "mars"', "jpg", os.urandom(BASE64_CHUNK)),
            NewFile("kontoutskrift", "png", os.urandom(2 * BASE64_CHUNK + 1)),
            NewFile("a", "txt", b"x"),
            NewFile("tom", "txt", b""),
        ],
        "idempotency_key": "0f5d9a4e-key",
        "sender_pid": PID,
    },
    # the orphan note: internal, no sender
    {
        "case_number": "2026/00043",
        "title": "Min side: søknadsdokumentet kunne ikke arkiveres",
        "files": [NewFile("merknad", "txt", "Årsak: file_refused\r\n".encode())],
        "idempotency_key": "0f5d9a4e-key-note",
        "direction": DocumentDirection.INTERNAL,
    },
    # no files at all
    {"case_number": "1999/99999", "title": "Vedlegg", "files": [], "idempotency_key": "x"},
]


@pytest.mark.parametrize("arguments", CASES, ids=["application", "note", "no-files"])
async def test_streamed_envelope_is_zeeps(client: P360Client, arguments: dict[str, Any]) -> None:
    streamed = client.create_document_request(**arguments)
    by_zeep = zeep_envelope(client, **arguments)
    body = bytes(streamed)
    assert canonical(etree.fromstring(body)) == canonical(etree.fromstring(by_zeep))
    assert streamed.size == len(body)  # sent as the Content-Length


async def test_files_are_encoded_in_bounded_chunks(client: P360Client) -> None:
    data = os.urandom(5 * BASE64_CHUNK + 7)
    streamed = client.create_document_request(
        case_number="2026/00042",
        title="Søknad",
        files=[NewFile("vedlegg", "pdf", data)],
        idempotency_key="k",
    )
    chunks = list(streamed.chunks())
    largest = BASE64_CHUNK // 3 * 4
    assert all(len(chunk) <= largest for chunk in chunks)
    assert sum(len(chunk) == largest for chunk in chunks) == 5  # the file, a chunk at a time
    assert base64.b64encode(data) in b"".join(chunks)


async def test_payload_writes_what_it_renders(client: P360Client) -> None:
    """What aiohttp's writer receives (twice: a write does not consume it) is the envelope."""
    streamed = client.create_document_request(
        case_number="2026/00042",
        title="Søknad",
        files=[NewFile("vedlegg", "pdf", os.urandom(3 * BASE64_CHUNK))],
        idempotency_key="k",
        sender_pid=PID,
    )

    class Writer:
        def __init__(self) -> None:
            self.chunks: list[bytes] = []

        async def write(self, chunk: bytes) -> None:
            self.chunks.append(bytes(chunk))

    for _ in range(2):
        writer = Writer()
        await streamed.write_with_length(writer, streamed.size)  # type: ignore[arg-type]
        assert b"".join(writer.chunks) == bytes(streamed)
        assert max(len(chunk) for chunk in writer.chunks) <= BASE64_CHUNK // 3 * 4


def test_base64_text_is_the_whole_base64() -> None:
    for size in (0, 1, 2, 3, 4, 299, 300, 301):
        data = os.urandom(size)
        text = Base64Text(data, chunk=6)
        assert b"".join(text) == base64.b64encode(data)
        assert len(text) == len(base64.b64encode(data))
    with pytest.raises(ValueError, match="multiple of 3"):
        Base64Text(b"", chunk=4)


async def test_a_text_xml_cannot_carry_is_refused_like_zeep(client: P360Client) -> None:
    arguments: dict[str, Any] = {
        "case_number": "2026/00042",
        "title": "Søknad",
        "files": [NewFile("vedlegg\x01", "pdf", b"%PDF")],
        "idempotency_key": "k",
    }
    with pytest.raises(ConnectorError, match="request does not match the WSDL") as caught:
        client.create_document_request(**arguments)
    assert caught.value.operation == "CreateDocument"
    with pytest.raises(ConnectorError, match="request does not match the WSDL"):
        zeep_envelope(client, **arguments)
