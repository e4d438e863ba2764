"""With @defer on, a deferred query is parsed and validated once, like any other."""

from __future__ import annotations

from collections import Counter

from schema.build import build_schema


async def test_a_deferred_query_hits_the_parser_and_validation_caches(
    calls: Counter[str],
) -> None:
    schema = build_schema()
    query = "query DeferProbe { ... @defer { externalServices { __typename } } }"
    await schema.execute(query)  # errors (no context) are fine: parse and validate ran
    await schema.execute(query)
    assert calls == {"parse": 1, "validate": 1}


async def test_defer_is_refused_on_a_mutation_root_and_stream_on_a_non_list() -> None:
    # graphql-core's own rules for the directives run in the (cached) validation.
    schema = build_schema()
    stream = await schema.execute("query { externalServices { name @stream } }")
    assert stream.errors
    assert "Stream directive cannot be used on non-list field" in stream.errors[0].message
    defer = await schema.execute("mutation { ... @defer { __typename } }")
    assert defer.errors
    assert "Defer directive cannot be used on root mutation type" in defer.errors[0].message
