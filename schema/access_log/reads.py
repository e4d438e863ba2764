"""Which reads go into the access log: every personal-data object the graph hands out.

One mechanism for every object kind: :func:`record_reads` wraps, once when the schema is built,
the resolver of every field whose type is a personal-data type (:data:`PERSONAL_DATA`), a list
of one, or an interface one implements (``node(id:)``). When such a field resolves, the objects
it returns are noted in the request's :class:`~resolvers.access_recorder.AccessReads` by kind
and global id. So what is logged is exactly what the query selected: the page of cases a
connection's ``nodes`` or ``edges { node }`` returned, a case's documents and decision, an
invoice found by ``node(id:)``, ... and nothing for ``cases { totalCount }``. A new field that
returns one of these types is recorded without any change here.

Downloads (``/files/<token>``) are noted by :mod:`gateway.downloads` with the same kinds.
The access log's own entries are not personal-data objects: reading the log is not logged.
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterable, Mapping
from inspect import isawaitable
from typing import Any, Final

from graphql import (
    GraphQLFieldResolver,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLSchema,
    default_field_resolver,
    get_named_type,
)

from resolvers.access_recorder import AccessReads
from stores.access_log import AccessKind

__all__ = ["PERSONAL_DATA", "record_reads"]

#: GraphQL type → the kind of personal data its objects are. A water meter (with its
#: readings and consumption) is data of its property.
PERSONAL_DATA: Final[Mapping[str, AccessKind]] = {
    "Property": AccessKind.PROPERTY,
    "WaterMeter": AccessKind.PROPERTY,
    "Case": AccessKind.CASE,
    "Document": AccessKind.DOCUMENT,
    "Invoice": AccessKind.INVOICE,
}


def record_reads(schema: GraphQLSchema) -> list[str]:
    """Wrap the resolvers of the fields that return personal-data objects; return their
    coordinates (``Type.field``), for tests and for reading."""
    interfaces: set[str] = set()
    for name in PERSONAL_DATA:
        found = schema.get_type(name)
        if isinstance(found, GraphQLObjectType):
            interfaces.update(interface.name for interface in found.interfaces)
    wrapped: list[str] = []
    for type_name, graphql_type in schema.type_map.items():
        if not isinstance(graphql_type, GraphQLObjectType) or type_name.startswith("__"):
            continue
        for field_name, field in graphql_type.fields.items():
            named = get_named_type(field.type)
            returns_personal_data = named.name in PERSONAL_DATA or (
                isinstance(named, GraphQLInterfaceType) and named.name in interfaces
            )
            if returns_personal_data:
                field.resolve = _recording(field.resolve or default_field_resolver)
                wrapped.append(f"{type_name}.{field_name}")
    return sorted(wrapped)


def _recording(resolve: GraphQLFieldResolver) -> GraphQLFieldResolver:
    def recording(source: Any, info: GraphQLResolveInfo[Any], **args: Any) -> Any:
        result = resolve(source, info, **args)
        if isawaitable(result):
            return _noted_when_done(result, info)
        _note(result, info)
        return result

    return recording


async def _noted_when_done(result: Awaitable[Any], info: GraphQLResolveInfo[Any]) -> Any:
    value = await result
    _note(value, info)
    return value


def _note(value: Any, info: GraphQLResolveInfo[Any]) -> None:
    reads: AccessReads | None = getattr(info.context, "access", None)
    if reads is None or value is None:
        return
    objects: Iterable[Any] = value if isinstance(value, list | tuple) else (value,)
    for item in objects:
        cls = type(item)
        try:
            kind = _KIND_OF_CLASS[cls]
        except KeyError:
            definition = getattr(cls, "__strawberry_definition__", None)
            kind = _KIND_OF_CLASS[cls] = (
                PERSONAL_DATA.get(definition.name) if definition is not None else None
            )
        if kind is not None:
            reads.add(kind, item.id)


# The kind of each class seen (None: not personal data), found once per class per process.
_KIND_OF_CLASS: dict[type, AccessKind | None] = {}
