"""Static cost analysis: an operation too costly, too aliased or too large never executes.

Before execution (after parsing and validation) the operation is measured, in the spirit of
the ``@cost``/``@listSize`` directives (https://ibm.github.io/graphql-specs/cost-spec.html):

- every field has a weight (:func:`field_weight`): 0 for a scalar or enum, 1 for an object,
  more for the fields in :data:`WEIGHTS` that ask a back-office system or mint a download link;
- a list multiplies the cost of what is selected inside it by its size: ``first`` (or
  :data:`~schema.relay.DEFAULT_PAGE_SIZE` when absent, at most
  :data:`~schema.relay.MAX_PAGE_SIZE`) sizes the list a field returns, or the ``nodes`` and
  ``edges`` of the connection it returns; other lists have an assumed size
  (:data:`ASSUMED_SIZES`, else :data:`DEFAULT_LIST_SIZE`);
- fragments and inline fragments count where they are spread; ``@skip``/``@include`` are
  followed with their literal or variable value (an unknown one counts as included).

Three limits (settings ``graphql_max_cost``, ``graphql_max_aliases``, ``graphql_max_fields``):
an operation over one is refused with ``COST_LIMIT_EXCEEDED``, ``ALIAS_LIMIT_EXCEEDED`` or
``FIELD_LIMIT_EXCEEDED`` (with ``extensions.cost`` and ``extensions.limit``), as a request
error without data: nothing executes and no back-office system is asked. An executed
operation's cost is in the response's ``extensions.cost`` (``requested`` and ``limit``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

from graphql import (
    BooleanValueNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    ValueNode,
    VariableNode,
    get_named_type,
    is_leaf_type,
)
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql.utilities import get_operation_ast
from strawberry.extensions import SchemaExtension

from kernel.errors import ErrorCode
from resolvers.context import Context
from schema.relay import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

__all__ = [
    "ASSUMED_SIZES",
    "DEFAULT_LIST_SIZE",
    "WEIGHTS",
    "CostLimits",
    "LimitCosts",
    "Measure",
    "field_weight",
    "measure",
]

# Fields that ask a back-office system (or a store) or mint a signed link cost more than the
# default 1 of an object field. Keys are "Type.field", or "field" for every type.
WEIGHTS: Final[Mapping[str, int]] = {
    "downloadUrl": 5,  # a signed download link per file
    "pdfUrl": 5,  # a signed invoice PDF link
    "mapUrl": 5,  # a signed map link
    "Query.viewer": 5,  # the population register (Public 360)
    "Query.node": 10,  # any one object: a back-office read
    "Citizen.properties": 10,  # Matrikkel
    "Citizen.cases": 10,  # Public 360
    "Citizen.invoices": 10,  # Visma
    "Citizen.submissions": 5,  # the gateway's outbox
    "Citizen.pendingApplications": 5,  # the gateway's outbox
    "Property.invoices": 10,  # Visma
    "Property.waterMeters": 5,  # the fee and meter register
    "Property.feeBasis": 5,  # the fee and meter register
    "Property.map": 5,  # Matrikkel's map
    "Case.documents": 5,  # Public 360's documents of a case
}
# Sizes assumed for lists without a `first` argument ("Type.field" keys).
ASSUMED_SIZES: Final[Mapping[str, int]] = {
    "Document.files": 3,
    "Case.documents": 10,
}
DEFAULT_LIST_SIZE: Final = 10
# The lists of a connection that its field's `first` sizes.
SIZED_FIELDS: Final = frozenset({"nodes", "edges"})


@dataclass(frozen=True)
class CostLimits:
    """The most an operation may cost, alias and select (defaults of ``kernel.settings``)."""

    cost: int = 25_000
    aliases: int = 30
    fields: int = 500


@dataclass(frozen=True)
class Measure:
    """An operation's cost, aliases and field selections (fragments counted where spread)."""

    cost: int = 0
    aliases: int = 0
    fields: int = 0

    def __add__(self, other: Measure) -> Measure:
        return Measure(
            self.cost + other.cost, self.aliases + other.aliases, self.fields + other.fields
        )


def field_weight(parent: str, field: GraphQLField, name: str) -> int:
    """The cost of one selection of `field` of type `parent` (not counting its children)."""
    weight = WEIGHTS.get(f"{parent}.{name}", WEIGHTS.get(name))
    if weight is not None:
        return weight
    return 0 if is_leaf_type(get_named_type(field.type)) else 1


def _is_list(type_: GraphQLOutputType) -> bool:
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    return isinstance(type_, GraphQLList)


class _Walk:
    """One operation's measure, with the request's variables; fragments measured once per
    (fragment, page size of the enclosing connection), so nested spreads cannot explode."""

    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
        defaults: Mapping[str, ValueNode | None],
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.defaults = defaults
        self.memo: dict[tuple[str, str, int | None], Measure] = {}

    def value(self, node: ValueNode) -> Any:
        """A literal's value, a variable's (or its default), or None when not known."""
        if isinstance(node, VariableNode):
            name = node.name.value
            if name in self.variables:
                return self.variables[name]
            default = self.defaults.get(name)
            return None if default is None else self.value(default)
        if isinstance(node, IntValueNode):
            return int(node.value)
        if isinstance(node, BooleanValueNode):
            return node.value
        return None

    def included(self, node: FieldNode | FragmentSpreadNode | InlineFragmentNode) -> bool:
        for directive in node.directives or ():
            name = directive.name.value
            if name not in ("skip", "include"):
                continue
            condition = next(
                (a.value for a in directive.arguments or () if a.name.value == "if"), None
            )
            value = None if condition is None else self.value(condition)
            if not isinstance(value, bool):
                continue  # unknown: counted as included
            if (name == "skip") == value:
                return False
        return True

    def page_size(self, node: FieldNode, field: GraphQLField) -> int | None:
        """The size `first` asks for (the default page size when absent), or None when the
        field has no `first` argument."""
        if "first" not in field.args:
            return None
        argument = next((a for a in node.arguments or () if a.name.value == "first"), None)
        value = None if argument is None else self.value(argument.value)
        if not isinstance(value, int) or isinstance(value, bool):
            return DEFAULT_PAGE_SIZE
        return max(0, min(value, MAX_PAGE_SIZE))

    def selections(self, selection_set: SelectionSetNode, parent: str, page: int | None) -> Measure:
        """The measure of one instance of `parent` with these selections; `page` is the size
        of the `nodes`/`edges` lists when `parent` is a connection."""
        total = Measure()
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                if self.included(selection):
                    total += self.field(selection, parent, page)
            elif isinstance(selection, InlineFragmentNode):
                if self.included(selection):
                    condition = selection.type_condition
                    inner = parent if condition is None else condition.name.value
                    total += self.selections(selection.selection_set, inner, page)
            elif isinstance(selection, FragmentSpreadNode) and self.included(selection):
                total += self.spread(selection.name.value, page)
        return total

    def spread(self, name: str, page: int | None) -> Measure:
        fragment = self.fragments.get(name)
        if fragment is None:  # validation refuses it before this
            return Measure()
        type_name = fragment.type_condition.name.value
        key = (name, type_name, page)
        if key not in self.memo:
            self.memo[key] = Measure()  # a cycle (refused by validation) counts nothing
            self.memo[key] = self.selections(fragment.selection_set, type_name, page)
        return self.memo[key]

    def field(self, node: FieldNode, parent: str, page: int | None) -> Measure:
        own = Measure(aliases=1 if node.alias is not None else 0, fields=1)
        type_ = self.schema.get_type(parent)
        if not isinstance(type_, GraphQLObjectType | GraphQLInterfaceType):
            return own  # __typename of a union
        name = node.name.value
        field = type_.fields.get(name)
        if field is None:  # __typename and introspection
            return own
        own = own + Measure(cost=field_weight(parent, field, name))
        if node.selection_set is None:
            return own
        first = self.page_size(node, field)
        inner_page = None
        size = 1
        if _is_list(field.type):
            if name in SIZED_FIELDS and page is not None:
                size = page
            elif first is not None:
                size = first
            else:
                size = ASSUMED_SIZES.get(f"{parent}.{name}", DEFAULT_LIST_SIZE)
        else:
            inner_page = first
        inner = self.selections(node.selection_set, get_named_type(field.type).name, inner_page)
        # Aliases and fields are counted as written (fragments where spread), not per item.
        return own + Measure(cost=size * inner.cost, aliases=inner.aliases, fields=inner.fields)


def _root(schema: GraphQLSchema, operation: OperationType) -> GraphQLObjectType | None:
    if operation is OperationType.QUERY:
        return schema.query_type
    if operation is OperationType.MUTATION:
        return schema.mutation_type
    return schema.subscription_type


def measure(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None = None,
    variables: Mapping[str, Any] | None = None,
) -> Measure | None:
    """The measure of the operation the request runs, or None when there is no such
    operation (execution then refuses it)."""
    operation: OperationDefinitionNode | None = get_operation_ast(document, operation_name)
    if operation is None:
        return None
    root = _root(schema, operation.operation)
    if root is None:
        return None
    fragments = {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    defaults = {
        definition.variable.name.value: definition.default_value
        for definition in operation.variable_definitions or ()
    }
    walk = _Walk(schema, fragments, variables or {}, defaults)
    return walk.selections(operation.selection_set, root.name, None)


# Where a document keeps the measures of its operations (see measure_once).
_MEMO: Final = "_minside_measures"
_NO_MEASURE: Final = object()


def measure_once(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None = None,
    variables: Mapping[str, Any] | None = None,
) -> Measure | None:
    """:func:`measure`, kept on the document for a request without variables: the document
    cache (schema.document_cache) hands the same parsed document to every request of one
    query text, so a repeated page (Min side's dashboard) is measured once, not per request
    (~0.5 ms of CPU each). With variables (``first: $n`` may size a list) it measures anew.
    The memo lives and dies with the document, so it adds nothing to the cache's bound but a
    few entries per document."""
    if variables:
        return measure(schema, document, operation_name, variables)
    memo: dict[tuple[int, str | None], Any] | None = getattr(document, _MEMO, None)
    if memo is None:
        memo = {}
        # Nodes are frozen dataclasses; the memo is not one of their fields.
        object.__setattr__(document, _MEMO, memo)
    key = (id(schema), operation_name)
    found = memo.get(key, _NO_MEASURE)
    if found is _NO_MEASURE:
        found = memo[key] = measure(schema, document, operation_name, variables)
    return found if isinstance(found, Measure) else None


def _refusals(found: Measure, limits: CostLimits) -> Iterator[GraphQLError]:
    checks = (
        (found.aliases, limits.aliases, ErrorCode.ALIAS_LIMIT_EXCEEDED, "has {} aliases"),
        (found.fields, limits.fields, ErrorCode.FIELD_LIMIT_EXCEEDED, "selects {} fields"),
        (found.cost, limits.cost, ErrorCode.COST_LIMIT_EXCEEDED, "costs {}"),
    )
    for value, limit, code, what in checks:
        if value > limit:
            yield GraphQLError(
                f"The operation {what.format(value)}; the limit is {limit}. Ask for fewer "
                "or smaller pages, fewer aliases or fewer fields.",
                extensions={"code": code.value, "cost": value, "limit": limit},
            )


class LimitCosts(SchemaExtension):
    """Measures the operation before it executes; refuses it over a limit (nothing is
    executed), and reports an executed operation's cost in ``extensions.cost``.

    The limits are the request's settings (``context.services.settings``), or `limits`
    (the defaults when neither: a schema executed directly in a test).
    """

    def __init__(self, limits: CostLimits | None = None) -> None:
        self.limits = limits
        self.found: Measure | None = None
        self.limit: int | None = None

    def _limits(self) -> CostLimits:
        if self.limits is not None:
            return self.limits
        context = self.execution_context.context
        if isinstance(context, Context):
            settings = context.services.settings
            return CostLimits(
                cost=settings.graphql_max_cost,
                aliases=settings.graphql_max_aliases,
                fields=settings.graphql_max_fields,
            )
        return CostLimits()

    def on_execute(self) -> Iterator[None]:
        self.check()
        yield

    def check(self) -> None:
        """Measures the operation (:attr:`found`) and refuses it over a limit (sets the
        execution's result, so nothing executes). A subclass may do more before execution
        (``gateway.rate_limit`` charges the cost to the viewer's budget)."""
        execution = self.execution_context
        document = execution.graphql_document
        if document is not None and execution.result is None:
            limits = self._limits()
            self.found = measure_once(
                execution.schema._schema,  # strawberry's graphql-core schema
                document,
                execution.operation_name,
                execution.variables,
            )
            self.limit = limits.cost
            if self.found is not None:
                refusals = list(_refusals(self.found, limits))
                if refusals:
                    execution.result = GraphQLExecutionResult(data=None, errors=refusals[:1])

    def get_results(self) -> dict[str, Any]:
        if self.found is None or self.limit is None:
            return {}
        return {"cost": {"requested": self.found.cost, "limit": self.limit}}
