"""Which client may use which part of the graph: one table of scopes, enforced in one place.

A partner portal has only the scopes of its profile (:mod:`kernel.partners`); Min side's own
client has them all. The scopes belong to the *types* that carry a citizen's data
(:data:`TYPE_SCOPES`): a field whose type is one of them needs its scope, unless its parent
needs the same one already. So ``Citizen.invoices`` and ``Property.invoices`` need
``invoices``, ``Case.documents`` and ``Case.decision`` need ``documents``,
``WaterMeter.pendingReadings`` needs ``submissions:read``, and the mutations need
``submissions:write``. ``node(id:)`` checks the scope of the id's type
(:func:`require_type_scope`), the download links (``/files``) the scope of their kind
(:data:`FILE_SCOPES`).

A field outside the client's scopes answers null with :class:`ForbiddenForClient`
(``extensions.code`` ``FORBIDDEN_FOR_CLIENT``, ``extensions.scope`` the scope it lacks); the rest
of the response is answered.

:func:`install_scopes` wraps the resolvers of those fields in the built schema (no other field
pays for the check) and first verifies the table against the schema: starting from ``Query`` and
``Mutation``, every field leads either to a scoped type (and is nullable, so the refusal nulls
only itself) or to a type of :data:`OPEN_TYPES`, reviewed to carry nothing a partner needs a
scope for. A new type reachable without a scope stops start-up until it gets one or is listed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Final

from graphql import (
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLSchema,
    GraphQLUnionType,
    default_field_resolver,
    get_named_type,
)
from strawberry.types import Info

from auth.viewer import Viewer
from kernel.errors import ErrorCode
from kernel.file_links import FileKind
from kernel.partners import Scope
from resolvers.context import Context

__all__ = [
    "FILE_SCOPES",
    "OPEN_TYPES",
    "TYPE_SCOPES",
    "ForbiddenForClient",
    "ScopeTableError",
    "gated_fields",
    "install_scopes",
    "require_type_scope",
]

TYPE_SCOPES: Final[dict[str, Scope]] = {
    # Matrikkel and the fee/meter register.
    "Property": Scope.PROPERTIES,
    "PropertyConnection": Scope.PROPERTIES,
    "PropertyEdge": Scope.PROPERTIES,
    "WaterMeter": Scope.PROPERTIES,
    # Public 360: the cases, and their documents and files (downloads too: FILE_SCOPES).
    "Case": Scope.CASES,
    "CaseConnection": Scope.CASES,
    "CaseEdge": Scope.CASES,
    "Document": Scope.DOCUMENTS,
    "File": Scope.DOCUMENTS,
    # Visma: the invoices and their PDFs.
    "Invoice": Scope.INVOICES,
    "InvoiceConnection": Scope.INVOICES,
    "InvoiceEdge": Scope.INVOICES,
    # The citizen's own submissions, and making new ones.
    "Submission": Scope.SUBMISSIONS_READ,
    "ApplicationReceipt": Scope.SUBMISSIONS_READ,
    "MeterReadingReceipt": Scope.SUBMISSIONS_READ,
    "SubmitMeterReadingResult": Scope.SUBMISSIONS_WRITE,
    "SubmitApplicationResult": Scope.SUBMISSIONS_WRITE,
}

# Reachable without a scope, reviewed: the roots, the citizen itself (its id and level of
# assurance come from the token the client holds), the citizen's own name (a portal greets the
# person whose token it holds), which systems are up, and the public catalogues. The access
# log's types are open here because their one field, Citizen.accessLog, answers Min side alone
# (schema.access_log: FORBIDDEN for every partner, whatever its scopes).
OPEN_TYPES: Final[frozenset[str]] = frozenset(
    {
        "Query",
        "Mutation",
        "Citizen",
        "PersonName",
        "SourceStatus",
        "ExternalService",
        "ApplicationType",
        "FormField",
        "FormFieldOption",
        "AttachmentKind",
        "AccessLogEntryConnection",
        "AccessLogEntryEdge",
        "AccessLogEntry",
        "PageInfo",
    }
)
# Interfaces whose field (node(id:)) checks the scope of the object's own type at run time.
BY_KIND_TYPES: Final[frozenset[str]] = frozenset({"Node"})

FILE_SCOPES: Final[dict[FileKind, Scope]] = {
    FileKind.CASE_FILE: Scope.DOCUMENTS,
    FileKind.INVOICE_PDF: Scope.INVOICES,
}


class ForbiddenForClient(GraphQLError):
    """The client (a partner portal) lacks the scope this field needs."""

    def __init__(self, scope: Scope) -> None:
        super().__init__(
            f"This client may not use this field: it needs the scope {scope.value!r}",
            extensions={"code": ErrorCode.FORBIDDEN_FOR_CLIENT.value, "scope": scope.value},
        )


class ScopeTableError(RuntimeError):
    """The scope table does not cover the schema (a fault of the code, found at start-up)."""


def _check(viewer: Viewer | None, scope: Scope) -> None:
    # Anonymous requests are refused by the fields themselves (UNAUTHENTICATED).
    if viewer is not None and not viewer.client.allows(scope):
        raise ForbiddenForClient(scope)


def require_type_scope(info: Info[Context, None], type_name: str) -> None:
    """Raise :class:`ForbiddenForClient` if the viewer's client may not read `type_name`."""
    scope = TYPE_SCOPES.get(type_name)
    if scope is not None:
        _check(info.context.viewer, scope)


def _gate(resolve: Callable[..., Any] | None, scope: Scope) -> Callable[..., Any]:
    inner = resolve if resolve is not None else default_field_resolver

    def gated(root: Any, info: GraphQLResolveInfo[Any], **arguments: Any) -> Any | Awaitable[Any]:
        context = info.context
        _check(context.viewer if isinstance(context, Context) else None, scope)
        return inner(root, info, **arguments)

    return gated


def _object_types(schema: GraphQLSchema, named: GraphQLNamedType) -> list[GraphQLObjectType]:
    """The object types a value of `named` can be (itself, a union's members, implementers)."""
    if isinstance(named, GraphQLObjectType):
        return [named]
    if isinstance(named, GraphQLUnionType):
        return list(named.types)
    if isinstance(named, GraphQLInterfaceType):
        return list(schema.get_implementations(named).objects)
    return []


def gated_fields(schema: GraphQLSchema) -> dict[tuple[str, str], Scope]:
    """``(type, field) → scope`` of the fields to check; raises :class:`ScopeTableError` when a
    field reaches a type that is neither scoped nor open, or a gated field is non-null."""
    for name in TYPE_SCOPES.keys() | OPEN_TYPES | BY_KIND_TYPES:
        if name not in schema.type_map:
            raise ScopeTableError(f"schema.scopes names {name!r}, which the schema has not")
    gated: dict[tuple[str, str], Scope] = {}
    # Every object type, so a scoped type's fields into another scope are gated too.
    for type_ in schema.type_map.values():
        if not isinstance(type_, GraphQLObjectType) or type_.name.startswith("__"):
            continue
        parent_scope = TYPE_SCOPES.get(type_.name)
        for field_name, field in type_.fields.items():
            scope = TYPE_SCOPES.get(get_named_type(field.type).name)
            if scope is not None and scope is not parent_scope:
                if isinstance(field.type, GraphQLNonNull):
                    raise ScopeTableError(
                        f"{type_.name}.{field_name} needs the scope {scope.value} and must be "
                        "nullable, so a refusal nulls only it"
                    )
                gated[(type_.name, field_name)] = scope
    _check_reachable(schema)
    return gated


def _check_reachable(schema: GraphQLSchema) -> None:
    """Everything reachable from the roots without passing a scoped field is open."""
    roots = [t for t in (schema.query_type, schema.mutation_type) if t is not None]
    seen: set[str] = set()
    todo: list[GraphQLObjectType] = list(roots)
    while todo:
        type_ = todo.pop()
        if type_.name in seen:
            continue
        seen.add(type_.name)
        if type_.name not in OPEN_TYPES:
            raise ScopeTableError(
                f"{type_.name} is reachable without a scope: add it to schema.scopes' "
                "TYPE_SCOPES, or to OPEN_TYPES if it holds nothing a partner needs a scope for"
            )
        for field in type_.fields.values():
            named = get_named_type(field.type)
            if named.name in TYPE_SCOPES:
                continue
            if named.name in BY_KIND_TYPES:
                for member in _object_types(schema, named):
                    if member.name not in TYPE_SCOPES and member.name not in OPEN_TYPES:
                        raise ScopeTableError(
                            f"{member.name} (a {named.name}) has no scope for node(id:)"
                        )
                continue
            todo.extend(_object_types(schema, named))


def install_scopes(schema: GraphQLSchema) -> dict[tuple[str, str], Scope]:
    """Verify the table against `schema` and wrap the gated fields' resolvers; the gated
    fields are returned (for tests and the README)."""
    gated = gated_fields(schema)
    for (type_name, field_name), scope in gated.items():
        type_ = schema.type_map[type_name]
        assert isinstance(type_, GraphQLObjectType)
        field: GraphQLField = type_.fields[field_name]
        field.resolve = _gate(field.resolve, scope)
    return gated
