"""Hot request envelopes from templates that zeep itself wrote once.

zeep builds an envelope by walking the schema for every call (~0.13 ms each, about as much
as reading the reply with lxml now costs). The hot requests differ from call to call only in
a few texts and in the items of one id list, so :class:`RequestTemplate` lets zeep render the
envelope once with marked placeholders (:func:`slot`), keeps the bytes between them, and
fills them per call with escaped text. A list parameter is emptied in the template and
filled with item fragments that zeep also rendered once per item type
(:class:`ItemTemplate`). The WS-Addressing ``MessageID`` gets a fresh UUID per call, as zeep
gives it.

The result is the envelope zeep would send, up to namespace prefixes and the MessageID
(tests/connectors/test_soap_template.py compares them canonically for the documented and
generated persons).

A request that carries files (P360 ``CreateDocument``) is not joined into one bytes object:
:meth:`RequestTemplate.stream` gives a :class:`StreamedEnvelope`, an ``aiohttp`` payload of the
template's texts and each file's base64 (:class:`Base64Text`), encoded :data:`BASE64_CHUNK`
bytes at a time while it is written to the socket. Its length is known beforehand (it is sent
with a ``Content-Length``), and it can be written again (a stale kept-alive connection).
"""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final
from xml.sax.saxutils import escape

from aiohttp.abc import AbstractStreamWriter
from aiohttp.payload import Payload
from lxml import etree

__all__ = [
    "BASE64_CHUNK",
    "Base64Text",
    "ItemTemplate",
    "RequestTemplate",
    "StreamedEnvelope",
    "slot",
]

#: Raw bytes encoded per piece of a :class:`Base64Text` (a multiple of 3, so only the last
#: piece can end in padding and the pieces joined are the base64 of the whole).
BASE64_CHUNK: Final = 48 * 1024
# What XML 1.0 cannot carry at all (lxml, and so zeep, refuses such a text with ValueError).
_NOT_XML: Final = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

_OPEN: Final = "\ue000"  # private-use characters: never in a real value
_CLOSE: Final = "\ue001"
_SLOT: Final = re.compile(f"{_OPEN}(\\w+){_CLOSE}".encode())
_WSA_MESSAGE_ID: Final = "{http://www.w3.org/2005/08/addressing}MessageID"
_MESSAGE_ID: Final = "message_id"


def slot(name: str) -> str:
    """A placeholder for the text ``name`` in a template's sample body."""
    return f"{_OPEN}{name}{_CLOSE}"


def _split(data: bytes) -> tuple[tuple[bytes, ...], tuple[str, ...]]:
    pieces = _SLOT.split(data)
    return tuple(pieces[0::2]), tuple(name.decode() for name in pieces[1::2])


@dataclass(frozen=True)
class _Parts:
    texts: tuple[bytes, ...]  # one more than names
    names: tuple[str, ...]

    def fill(self, values: Mapping[str, bytes]) -> bytes:
        out = [self.texts[0]]
        for name, text in zip(self.names, self.texts[1:], strict=True):
            out.append(values[name])
            out.append(text)
        return b"".join(out)

    def pieces(self, values: Mapping[str, Piece | Sequence[Piece]]) -> list[Piece]:
        """``fill`` without joining: a value may be a piece or a list of pieces."""
        out: list[Piece] = [self.texts[0]]
        for name, text in zip(self.names, self.texts[1:], strict=True):
            value = values[name]
            if isinstance(value, bytes | Base64Text):
                out.append(value)
            else:
                out.extend(value)
            out.append(text)
        return out


def _text(value: str | int) -> bytes:
    return escape(str(value)).encode()


def _xml_text(value: str | int) -> bytes:
    """``_text`` for a text that may come from a user: one XML cannot carry is refused
    (ValueError), as zeep refuses it, instead of being sent for the server to choke on."""
    if _NOT_XML.search(str(value)):
        raise ValueError("text is not XML")
    return _text(value)


class Base64Text:
    """The base64 text of ``data``, encoded ``chunk`` bytes at a time when iterated.

    ``len()`` is the text's length, known without encoding it.
    """

    def __init__(self, data: bytes, chunk: int = BASE64_CHUNK) -> None:
        if chunk < 3 or chunk % 3:
            raise ValueError("chunk must be a positive multiple of 3")
        self._data = data
        self._chunk = chunk

    def __len__(self) -> int:
        return 4 * ((len(self._data) + 2) // 3)

    def __iter__(self) -> Iterator[bytes]:
        view = memoryview(self._data)
        for start in range(0, len(view), self._chunk):
            yield base64.b64encode(view[start : start + self._chunk])


#: One piece of a streamed envelope: template text (bytes) or a file's base64.
Piece = bytes | Base64Text


class StreamedEnvelope(Payload):
    """An envelope as pieces, written to the socket one piece (or base64 chunk) at a time.

    An ``aiohttp`` payload with a known ``size`` (so the request has a ``Content-Length``);
    writing it does not consume it, :meth:`release` does.
    """

    _autoclose = True  # no file handle or socket to close: bytes and their base64 only

    def __init__(self, pieces: Sequence[Piece]) -> None:
        super().__init__(None, content_type="text/xml; charset=utf-8")
        self._pieces: tuple[Piece, ...] | None = tuple(pieces)
        self._size = sum(len(piece) for piece in self._pieces)

    def release(self) -> None:
        """Let go of the pieces (the files) once the call is over: a failed call's envelope
        can stay referenced from a reference cycle (the resilience layer's retry state) until
        the cyclic collector runs, and it must not keep the attachments alive meanwhile."""
        self._pieces = None

    def chunks(self) -> Iterator[bytes]:
        """The envelope's bytes, in the pieces they are written in."""
        if self._pieces is None:
            raise RuntimeError("the envelope was released")
        for piece in self._pieces:
            if isinstance(piece, bytes):
                yield piece
            else:
                yield from piece

    def __bytes__(self) -> bytes:
        return b"".join(self.chunks())

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        return bytes(self).decode(encoding, errors)

    async def write(self, writer: AbstractStreamWriter) -> None:
        for chunk in self.chunks():
            await writer.write(chunk)  # waits while the socket's buffer is full

    async def write_with_length(
        self, writer: AbstractStreamWriter, content_length: int | None
    ) -> None:
        remaining = content_length
        for chunk in self.chunks():
            if remaining is not None:
                if remaining <= 0:
                    return
                chunk = chunk[:remaining]
                remaining -= len(chunk)
            await writer.write(chunk)


class ItemTemplate:
    """One item of an id list (``<item xsi:type="…Id"><value>…</value></item>``)."""

    def __init__(self, item: etree._Element) -> None:
        self._parts = _Parts(*_split(etree.tostring(item, encoding="utf-8", with_tail=False)))

    def render(self, **values: str | int) -> bytes:
        """The item with its slots filled (texts escaped)."""
        return self._parts.fill({name: _text(value) for name, value in values.items()})

    def pieces(self, binary: Mapping[str, bytes], **values: str | int) -> list[Piece]:
        """The item as pieces, its ``binary`` slots filled with their bytes' base64
        (encoded when written) and the others with escaped texts (ValueError for a text
        XML cannot carry)."""
        filled: dict[str, Piece] = {name: _xml_text(value) for name, value in values.items()}
        filled.update({name: Base64Text(data) for name, data in binary.items()})
        return self._parts.pieces(filled)


class RequestTemplate:
    """An envelope zeep rendered once, with slots for texts and for one list of items.

    ``envelope`` is zeep's envelope of a sample body whose varying texts are :func:`slot`
    markers; ``list_path`` names the body's list element (by local names below the operation
    element) whose items vary, and ``item_qname`` (Clark notation) its items' element.
    """

    def __init__(self, envelope: etree._Element, list_path: tuple[str, ...] = ()) -> None:
        message_id = envelope.find(f".//{_WSA_MESSAGE_ID}")
        if message_id is not None:
            message_id.text = slot(_MESSAGE_ID)
        self.item_templates: dict[str, ItemTemplate] = {}
        if list_path:
            holder = _find_path(envelope, list_path)
            for item in list(holder):
                holder.remove(item)
            holder.text = slot("items")
        self._parts = _Parts(
            *_split(etree.tostring(envelope, xml_declaration=True, encoding="utf-8"))
        )

    def render(self, items: list[bytes] | None = None, **values: str | int) -> bytes:
        """The envelope with texts, items (rendered fragments) and a fresh MessageID."""
        filled = {name: _text(value) for name, value in values.items()}
        if _MESSAGE_ID in self._parts.names:
            filled[_MESSAGE_ID] = f"urn:uuid:{uuid.uuid4()}".encode()
        if items is not None:
            filled["items"] = b"".join(items)
        return self._parts.fill(filled)

    def stream(self, items: Sequence[Sequence[Piece]], **values: str | int) -> StreamedEnvelope:
        """:meth:`render` for items given as pieces (:meth:`ItemTemplate.pieces`): the
        envelope is not joined but written piece by piece (ValueError for a text XML cannot
        carry)."""
        filled: dict[str, Piece | Sequence[Piece]] = {
            name: _xml_text(value) for name, value in values.items()
        }
        if _MESSAGE_ID in self._parts.names:
            filled[_MESSAGE_ID] = f"urn:uuid:{uuid.uuid4()}".encode()
        filled["items"] = [piece for item in items for piece in item]
        return StreamedEnvelope(self._parts.pieces(filled))


def _find_path(envelope: etree._Element, path: tuple[str, ...]) -> etree._Element:
    body = envelope.find("{http://schemas.xmlsoap.org/soap/envelope/}Body")
    if body is None:
        raise ValueError("envelope without Body")
    node: Any = body[0]
    for name in path:
        node = next(child for child in node if etree.QName(child).localname == name)
    return node  # type: ignore[no-any-return]


def item_of(envelope: etree._Element, list_path: tuple[str, ...]) -> ItemTemplate:
    """The item template of the first item in ``list_path`` of a one-item envelope."""
    holder = _find_path(envelope, list_path)
    return ItemTemplate(holder[0])
