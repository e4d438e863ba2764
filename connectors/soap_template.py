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
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final
from xml.sax.saxutils import escape

from lxml import etree

__all__ = ["ItemTemplate", "RequestTemplate", "slot"]

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


def _text(value: str | int) -> bytes:
    return escape(str(value)).encode()


class ItemTemplate:
    """One item of an id list (``<item xsi:type="…Id"><value>…</value></item>``)."""

    def __init__(self, item: etree._Element) -> None:
        self._parts = _Parts(*_split(etree.tostring(item, encoding="utf-8", with_tail=False)))

    def render(self, **values: str | int) -> bytes:
        """The item with its slots filled (texts escaped)."""
        return self._parts.fill({name: _text(value) for name, value in values.items()})


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
