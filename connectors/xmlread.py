"""Reading XML Schema values from lxml elements exactly as zeep reads them, only cheaper.

The connectors' lxml readers (``connectors/*/read.py``) must give the same models as zeep's
parsing of the same reply, so each value here follows zeep 4's own rules
(``zeep.xsd.types``): a simple element that is absent or has no text (``xsi:nil`` included)
is None; a value zeep cannot convert is None too (zeep logs it and carries on); strings are
kept as written; a complex element with neither children nor attributes is None, while one
with ``xsi:nil="true"`` is an object whose fields are all None. Dates take a fast path for
the canonical form and fall back to zeep's own converter for anything else, so odd spellings
are judged by zeep itself.

One difference is deliberate: zeep's strict parser refuses a reply whose elements are out of
the contract's order or unknown to it; the readers only require what the models need, so such
a reply is read instead of becoming a MalformedResponse. Missing required fields and values of
the wrong type fail alike on both paths (the equivalence tests show it).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime
from typing import Final

from lxml import etree
from zeep.xsd.types import builtins

__all__ = [
    "XSI_NIL",
    "XSI_TYPE",
    "Parent",
    "boolean",
    "child",
    "children",
    "compound",
    "date_value",
    "datetime_date",
    "double",
    "fields",
    "integer",
    "local_type",
    "text",
]

XSI: Final = "http://www.w3.org/2001/XMLSchema-instance"
XSI_NIL: Final = f"{{{XSI}}}nil"
XSI_TYPE: Final = f"{{{XSI}}}type"

_DATETIME: Final = builtins.DateTime()  # type: ignore[no-untyped-call]
_DATE: Final = builtins.Date()  # type: ignore[no-untyped-call]
_BOOLEAN: Final = builtins.Boolean()  # type: ignore[no-untyped-call]
_DOUBLE: Final = builtins.Double()  # type: ignore[no-untyped-call]
# The canonical xsd:dateTime (what SIF and the simulators write); anything else goes to zeep.
_CANONICAL_DATETIME: Final = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?(Z|[+-](0\d|1[0-4]):[0-5]\d)?"
)
_CANONICAL_DATE: Final = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


#: Where a value is looked up: an element (searched with ``find``) or its :func:`fields`.
Parent = etree._Element | dict[str, etree._Element] | None


def fields(element: etree._Element | None) -> dict[str, etree._Element]:
    """An element's children by tag (the first of each, as ``find`` would pick).

    A record with thirty children read field by field costs thirty scans with ``find``;
    indexing it once makes each lookup a dict access.
    """
    found: dict[str, etree._Element] = {}
    if element is not None:
        for node in element:
            found.setdefault(node.tag, node)
    return found


def _find(parent: Parent, tag: str) -> etree._Element | None:
    if parent is None:
        return None
    if isinstance(parent, dict):
        return parent.get(tag)
    return parent.find(tag)


def compound(element: etree._Element | None) -> etree._Element | None:
    """``element`` read as a complex value: None when absent or empty (no children, no
    attributes), as zeep reads it."""
    if element is None or (len(element) == 0 and not element.attrib):
        return None
    return element


def child(parent: Parent, tag: str) -> etree._Element | None:
    """The first child ``tag`` of ``parent`` read as a complex value (see :func:`compound`)."""
    return compound(_find(parent, tag))


def children(parent: etree._Element | None, tag: str) -> Iterator[etree._Element | None]:
    """Every child ``tag`` of ``parent`` in order, each read as a complex value."""
    if parent is None:
        return
    for found in parent.iterfind(tag):
        yield compound(found)


def text(parent: Parent, tag: str) -> str | None:
    """An ``xs:string`` child's text as written (zeep keeps whitespace), else None."""
    found = _find(parent, tag)
    return None if found is None else found.text


def integer(parent: Parent, tag: str) -> int | None:
    """An ``xs:int``/``xs:long`` child as zeep reads it: ``int(text)``, None if that fails."""
    value = text(parent, tag)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None


def boolean(parent: Parent, tag: str) -> bool | None:
    """An ``xs:boolean`` child: True for "true"/"1", False for any other text, None if absent."""
    value = text(parent, tag)
    return None if value is None else bool(_BOOLEAN.pythonvalue(value))


def double(parent: Parent, tag: str) -> float | None:
    """An ``xs:double`` child as zeep reads it, None if it is no number."""
    value = text(parent, tag)
    if value is None:
        return None
    try:
        return float(_DOUBLE.pythonvalue(value))
    except (TypeError, ValueError):
        return None


def datetime_date(parent: Parent, tag: str) -> date | None:
    """The calendar date of an ``xs:dateTime`` child (the date as written, zone untouched)."""
    value = text(parent, tag)
    if value is None:
        return None
    match = _CANONICAL_DATETIME.fullmatch(value)
    if match is not None:
        try:
            return date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            return None  # zeep refuses an impossible day the same way
    try:
        parsed = _DATETIME.pythonvalue(value)
    except (TypeError, ValueError):
        return None
    return parsed.date() if isinstance(parsed, datetime) else None


def date_value(parent: Parent, tag: str) -> date | None:
    """An ``xs:date`` child as zeep reads it (None if it is no date)."""
    value = text(parent, tag)
    if value is None:
        return None
    match = _CANONICAL_DATE.fullmatch(value)
    if match is not None:
        try:
            return date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            return None
    try:
        parsed = _DATE.pythonvalue(value)
    except (TypeError, ValueError):
        return None
    return parsed if isinstance(parsed, date) else None


def local_type(element: etree._Element) -> str:
    """The local name of an element's ``xsi:type`` (``"Grunneiendom"``), "" when untyped."""
    value = element.get(XSI_TYPE)
    return "" if value is None else value.rpartition(":")[2]
