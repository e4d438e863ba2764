"""The static cost of an operation (schema.cost), on a small schema and on the gateway's."""

from __future__ import annotations

import time
from typing import Any

import pytest
import strawberry
from graphql import parse

from schema.build import build_schema
from schema.cost import CostLimits, LimitCosts, Measure, measure, measure_once

CALLS: list[str] = []


@strawberry.type
class Leaf:
    name: str
    download_url: str


@strawberry.type
class Item:
    id: int
    leaves: list[Leaf]


@strawberry.type
class Page:
    total: int
    nodes: list[Item]


@strawberry.type
class Query:
    @strawberry.field
    def item(self) -> Item:
        CALLS.append("item")
        return Item(id=1, leaves=[])

    @strawberry.field
    def items(self, first: int | None = None) -> list[Item]:
        CALLS.append("items")
        return []

    @strawberry.field
    def page(self, first: int | None = None) -> Page:
        CALLS.append("page")
        return Page(total=0, nodes=[])


SMALL = strawberry.Schema(query=Query)


def cost_of(
    query: str, variables: dict[str, Any] | None = None, name: str | None = None
) -> Measure:
    found = measure(SMALL._schema, parse(query), name, variables)
    assert found is not None
    return found


def test_scalars_cost_nothing_and_objects_one() -> None:
    assert cost_of("{ item { id } }") == Measure(cost=1, aliases=0, fields=2)


def test_a_list_multiplies_its_selections_by_first() -> None:
    # items 1 + 7 × (leaves 1 + 10 assumed × (downloadUrl 5))
    assert cost_of("{ items(first: 7) { leaves { downloadUrl } } }").cost == 1 + 7 * (1 + 10 * 5)
    # Without first: the default page size (20); above the maximum: the maximum (100).
    assert cost_of("{ items { leaves { name } } }").cost == 1 + 20 * 1
    assert cost_of("{ items(first: 5000) { leaves { name } } }").cost == 1 + 100 * 1


def test_first_of_a_connection_sizes_its_nodes() -> None:
    assert cost_of("{ page(first: 3) { total nodes { leaves { name } } } }").cost == 1 + 1 + 3
    found = cost_of("query Q($n: Int) { page(first: $n) { nodes { id } } }", {"n": 50})
    assert found.cost == 1 + 1 + 50 * 0


def test_variables_size_lists_and_their_defaults_apply() -> None:
    query = "query Q($n: Int = 4) { items(first: $n) { leaves { name } } }"
    assert cost_of(query).cost == 1 + 4
    assert cost_of(query, {"n": 30}).cost == 1 + 30


def test_a_document_without_variables_is_measured_once_per_operation() -> None:
    document = parse("query A { page(first: 3) { nodes { id } } } query B { item { id } }")
    first = measure_once(SMALL._schema, document, "A")
    assert first == measure(SMALL._schema, document, "A")
    assert measure_once(SMALL._schema, document, "A") is first  # kept with the document
    assert measure_once(SMALL._schema, document, "B") == measure(SMALL._schema, document, "B")
    assert measure_once(SMALL._schema, document, "C") is None  # no such operation, also kept
    # Variables may size a list: measured anew, never from the memo.
    sized = parse("query S($n: Int) { items(first: $n) { leaves { name } } }")
    small = measure_once(SMALL._schema, sized, None, {"n": 1})
    large = measure_once(SMALL._schema, sized, None, {"n": 50})
    assert small is not None and large is not None and large.cost > small.cost


def test_fragments_and_inline_fragments_count_where_spread() -> None:
    plain = cost_of("{ items(first: 10) { leaves { downloadUrl } } item { id } }")
    spread = cost_of(
        "{ items(first: 10) { ...F } ...G } fragment F on Item { leaves { downloadUrl } } "
        "fragment G on Query { item { id } }"
    )
    inline = cost_of(
        "{ items(first: 10) { ... on Item { leaves { downloadUrl } } } ... { item { id } } }"
    )
    assert plain.cost == spread.cost == inline.cost == 1 + 10 * (1 + 10 * 5) + 1
    twice = cost_of("{ items(first: 10) { ...F ...F } } fragment F on Item { leaves { name } }")
    assert twice.cost == 1 + 10 * 2


def test_aliases_and_fields_are_counted() -> None:
    found = cost_of("{ a: item { id } b: item { x: id } item { id } }")
    assert found == Measure(cost=3, aliases=3, fields=6)


def test_skip_and_include_follow_literals_and_variables() -> None:
    query = """query Q($s: Boolean!, $i: Boolean!) {
      a: item @skip(if: $s) { id } b: item @include(if: $i) { id } }"""
    assert cost_of(query, {"s": True, "i": False}).cost == 0
    assert cost_of(query, {"s": False, "i": True}).cost == 2
    # An unknown value counts as included.
    assert cost_of(query).cost == 2
    assert (
        cost_of("{ item @skip(if: true) { id } ... @include(if: false) { items { id } } }").cost
        == 0
    )
    assert cost_of("{ ...F @skip(if: false) } fragment F on Query { item { id } }").cost == 1


def test_nested_fragments_are_measured_once_each() -> None:
    # 2^30 expanded fields: measured at once, and far over every limit.
    levels = ["fragment F0 on Item { id }"] + [
        f"fragment F{n} on Item {{ ...F{n - 1} ...F{n - 1} }}" for n in range(1, 31)
    ]
    started = time.perf_counter()
    found = cost_of("{ item { ...F30 } } " + " ".join(levels))
    assert time.perf_counter() - started < 1
    assert found.fields == 1 + 2**30


def test_the_gateway_weighs_links_and_back_office_fields() -> None:
    schema = build_schema()
    query = "{ viewer { cases(first: 100) { nodes { documents { files { downloadUrl } } } } } }"
    found = measure(schema._schema, parse(query))
    assert found is not None
    # viewer 5 + cases 10 + nodes 1 + 100 × (documents 5 + 10 × (files 1 + 3 × link 5))
    assert found.cost == 5 + 10 + 1 + 100 * (5 + 10 * (1 + 3 * 5))


@pytest.mark.parametrize(
    ("limits", "query", "code", "value"),
    [
        (
            CostLimits(cost=10),
            "{ items(first: 11) { leaves { name } } }",
            "COST_LIMIT_EXCEEDED",
            12,
        ),
        (CostLimits(aliases=1), "{ a: item { id } b: item { id } }", "ALIAS_LIMIT_EXCEEDED", 2),
        (CostLimits(fields=3), "{ item { id } page { total } }", "FIELD_LIMIT_EXCEEDED", 4),
    ],
)
def test_an_operation_over_a_limit_is_refused_before_execution(
    limits: CostLimits, query: str, code: str, value: int
) -> None:
    schema = strawberry.Schema(query=Query, extensions=[lambda: LimitCosts(limits)])
    CALLS.clear()
    result = schema.execute_sync(query)
    assert result.data is None
    assert CALLS == []
    assert result.errors is not None
    (error,) = result.errors
    assert error.path is None
    limit = {"COST_LIMIT_EXCEEDED": limits.cost, "ALIAS_LIMIT_EXCEEDED": limits.aliases}.get(
        code, limits.fields
    )
    assert error.extensions == {"code": code, "cost": value, "limit": limit}
    assert str(limit) in error.message


def test_an_executed_operation_reports_its_cost() -> None:
    schema = strawberry.Schema(query=Query, extensions=[lambda: LimitCosts(CostLimits(cost=50))])
    result = schema.execute_sync("{ items(first: 3) { leaves { name } } }")
    assert result.errors is None
    assert result.extensions == {"cost": {"requested": 4, "limit": 50}}


def test_the_gateway_schema_limits_costs_by_default() -> None:
    result = build_schema().execute_sync(
        "{ " + " ".join(f"a{i}: externalServices {{ name }}" for i in range(31)) + " }"
    )
    assert result.errors is not None
    assert result.errors[0].extensions is not None
    assert result.errors[0].extensions["code"] == "ALIAS_LIMIT_EXCEEDED"
