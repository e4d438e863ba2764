"""The parse and validation cache is bounded by bytes, not entries: 300 anonymous 1 MB queries
once raised the gateway's RSS from 223 to 499 MB. Only valid documents are cached, and a
repeated query is neither parsed nor validated again."""

from __future__ import annotations

import gc
import sys
import tracemalloc

import pytest
from graphql import parse

from schema.build import build_schema
from schema.document_cache import MAX_BYTES, MAX_QUERY_CHARS, DocumentCache, estimated_bytes

DENSE = "query Probe { " + " ".join(f'n{i}: node(id: "x{i}") {{ id }}' for i in range(450)) + " }"


async def test_a_repeated_valid_query_is_served_from_the_cache(calls) -> None:
    schema = build_schema()
    for _ in range(3):
        result = await schema.execute("query Again { __typename }")
        assert result.errors is None and result.data == {"__typename": "Query"}
    assert calls == {"parse": 1, "validate": 1}
    assert len(schema.document_cache) == 1  # type: ignore[attr-defined]


@pytest.mark.parametrize("query", ["{ nope }", "{ __typename ", "query { __typename(x: 1) }"])
async def test_an_invalid_document_is_not_cached(calls, query: str) -> None:
    schema = build_schema()
    for _ in range(2):
        result = await schema.execute(query)
        assert result.errors
    assert calls["parse"] == 2
    assert len(schema.document_cache) == 0  # type: ignore[attr-defined]


async def test_large_distinct_queries_keep_the_cache_under_its_bytes() -> None:
    schema = build_schema()
    cache: DocumentCache = schema.document_cache  # type: ignore[attr-defined]
    padding = " " * (MAX_QUERY_CHARS - 100)
    for i in range(MAX_BYTES // MAX_QUERY_CHARS + 50):  # more than fit
        result = await schema.execute(f"query Q{i} {{{padding}__typename }}")
        assert result.errors is None
        assert cache.total_bytes <= MAX_BYTES
    assert 0 < len(cache) < MAX_BYTES // MAX_QUERY_CHARS + 50
    assert len(cache) >= MAX_BYTES // (MAX_QUERY_CHARS + 100 * 400)  # it does cache


def collect_garbage() -> None:
    """A full collection; what it finds of other tests (a subprocess another test leaked) is
    theirs to report, not this test's."""
    hook = sys.unraisablehook
    sys.unraisablehook = lambda unraisable: None
    try:
        gc.collect()
    finally:
        sys.unraisablehook = hook


async def test_1_mb_queries_do_not_stay_in_memory() -> None:
    schema = build_schema()
    collect_garbage()
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        for i in range(6):  # each would stay whole in an entry-bounded cache
            result = await schema.execute(f"query Big{i} {{" + " " * 1_000_000 + "__typename }")
            assert result.errors is None
        collect_garbage()  # the requests' own reference cycles
        after, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert after - before < 2_000_000, after - before


def test_the_estimate_covers_a_dense_documents_real_memory() -> None:
    tracemalloc.start()
    try:
        document = parse(DENSE)
        used, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert used <= estimated_bytes(DENSE, document) <= 2 * used
