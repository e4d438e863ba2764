"""Render a SOAP reply straight with lxml, in the order and spelling zeep's serializer uses.

zeep's ``operation.output.serialize`` first turns the handler's dicts into value objects and
then walks the schema to render them; for a reply of 355 documents that is ~130 ms of CPU,
nine tenths of the simulator's work. :class:`PlainRenderer` reads the same schema once (the
order of each complex type's elements, which are lists, optional or nillable, and zeep's
own text conversion of each simple type) and then renders dicts with plain lxml calls.

It covers document/literal content: complex types of elements, simple values, repeated
elements, nil, and values of a derived type (:class:`Typed`, rendered with ``xsi:type``
where zeep puts one). A value it cannot place (a key the type does not have, a dict for a
simple type) raises :class:`TypeError`, as zeep refuses it, so the simulator stays as honest
as with zeep. Types with attributes or ``xsd:any`` are left to zeep
(:class:`simulators.soap.SoapEndpoint` only uses this for the operations named in
``plain_replies``). Tests hold both renderings of the simulators' replies to the same XML.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from lxml import etree
from zeep.xsd.elements import Element
from zeep.xsd.types.builtins import String
from zeep.xsd.types.simple import AnySimpleType

__all__ = ["PlainRenderer", "Typed", "zeep_value"]

SOAP11_ENV: Final = "http://schemas.xmlsoap.org/soap/envelope/"
_XSI_NIL: Final = "{http://www.w3.org/2001/XMLSchema-instance}nil"
_XSI_TYPE: Final = "{http://www.w3.org/2001/XMLSchema-instance}type"


@dataclass(frozen=True)
class Typed:
    """A complex value of the zeep type ``xsd_type`` (its fields in ``values``).

    Where the element's declared type is another type object, it is rendered with
    ``xsi:type``, as zeep renders a value object of that type.
    """

    xsd_type: Any
    values: Mapping[str, Any]


def zeep_value(value: Any) -> Any:
    """``value`` with every :class:`Typed` made a zeep value object (for zeep's serializer)."""
    if isinstance(value, Typed):
        return value.xsd_type(**{key: zeep_value(item) for key, item in value.values.items()})
    if isinstance(value, Mapping):
        return {key: zeep_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [zeep_value(item) for item in value]
    return value


@dataclass(frozen=True)
class _Field:
    """One element of a complex type's sequence, as zeep renders it."""

    name: str
    qname: str  # Clark notation
    many: bool
    optional: bool
    nillable: bool
    xmlvalue: Callable[[Any], str] | None  # for a simple type; None for a complex one
    xsd_type: Any  # the complex type, to look its fields up
    is_string: bool  # xs:string, whose zeep conversion keeps a str as it is


@dataclass(frozen=True)
class _Plan:
    """A complex type's fields in rendering order, and their names."""

    fields: tuple[_Field, ...]
    names: frozenset[str]


class PlainRenderer:
    """Renders dict values of one global element (a reply's body element) with lxml.

    Each complex type's fields are read from the zeep schema on first use and kept.
    """

    def __init__(self, element: Any) -> None:
        if not isinstance(element, Element):
            raise TypeError("PlainRenderer needs a zeep Element")
        self._element = element
        self._plans: dict[int, _Plan] = {}
        # The namespace prefix zeep would use for the body's namespace.
        self._nsmap = {"ns0": element.qname.namespace}

    def envelope(self, value: Mapping[str, Any]) -> bytes:
        """The SOAP 1.1 envelope whose body is the element holding ``value``."""
        envelope = etree.Element(f"{{{SOAP11_ENV}}}Envelope", nsmap={"soap-env": SOAP11_ENV})
        body = etree.SubElement(envelope, f"{{{SOAP11_ENV}}}Body")
        node = etree.SubElement(body, self._element.qname.text, nsmap=self._nsmap)
        self._render_complex(node, self._element.type, value)
        return etree.tostring(envelope, xml_declaration=True, encoding="utf-8")

    def _plan_of(self, xsd_type: Any) -> _Plan:
        plan = self._plans.get(id(xsd_type))
        if plan is None:
            fields = _compile(xsd_type)
            plan = self._plans[id(xsd_type)] = _Plan(fields, frozenset(f.name for f in fields))
        return plan

    def _render_complex(self, node: etree._Element, xsd_type: Any, value: Any) -> None:
        # dict, not the Mapping ABC: an ABC check per value costs a tenth of the rendering.
        if not isinstance(value, dict):
            if not isinstance(value, Mapping):
                raise TypeError(f"{xsd_type.name} needs a mapping")
            value = dict(value)
        plan = self._plan_of(xsd_type)
        unknown = value.keys() - plan.names
        if unknown:
            raise TypeError(f"{xsd_type.name} has no element {sorted(unknown)[0]!r}")
        for field in plan.fields:
            item = value.get(field.name)
            if item.__class__ is list and field.many:
                for entry in item:
                    self._render_item(node, field, entry)
            else:
                self._render_item(node, field, item)

    def _render_item(self, parent: etree._Element, field: _Field, value: Any) -> None:
        if value is None:
            if field.optional:
                return
            node = etree.SubElement(parent, field.qname)
            if field.nillable:
                node.set(_XSI_NIL, "true")
            return
        node = etree.SubElement(parent, field.qname)
        if field.xmlvalue is not None:
            if value.__class__ is str and field.is_string:
                node.text = value  # what String.xmlvalue gives for a str
            elif isinstance(value, dict | list | tuple | Typed | Mapping):
                raise TypeError(f"{field.name} is a simple value")
            else:
                node.text = field.xmlvalue(value)
        elif isinstance(value, Typed):
            if value.xsd_type is not field.xsd_type:
                node.set(_XSI_TYPE, value.xsd_type.qname)  # lxml declares the prefix
            self._render_complex(node, value.xsd_type, value.values)
        else:
            self._render_complex(node, field.xsd_type, value)


def _compile(xsd_type: Any) -> tuple[_Field, ...]:
    """The fields of a complex type, in zeep's rendering order (base type's first)."""
    if getattr(xsd_type, "attributes", None):
        raise TypeError(f"{xsd_type.name} has attributes: render it with zeep")
    fields = []
    for name, element in xsd_type.elements:
        if not isinstance(element, Element):
            raise TypeError(f"{xsd_type.name} has a {type(element).__name__}: use zeep")
        simple = isinstance(element.type, AnySimpleType)
        fields.append(
            _Field(
                name=name,
                qname=element.qname.text,
                many=element.accepts_multiple,
                optional=element.is_optional,
                nillable=element.nillable,
                xmlvalue=element.type.xmlvalue if simple else None,
                xsd_type=None if simple else element.type,
                is_string=type(element.type) is String,
            )
        )
    return tuple(fields)
