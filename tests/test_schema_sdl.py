"""The committed SDL (schema.graphql) must match the code; regenerate with `make schema`."""

from pathlib import Path

from schema.build import build_schema

SDL_FILE = Path(__file__).resolve().parent.parent / "schema.graphql"


def test_committed_sdl_is_current():
    committed = SDL_FILE.read_text(encoding="utf-8")
    current = build_schema().as_str() + "\n"
    assert committed == current, "schema.graphql is stale: run `make schema` and commit it"


def test_parser_and_validation_caches_hit_on_a_repeated_query(monkeypatch):
    # The depth rule must be the same class on every request, or the document cache (keyed
    # by the rules) would miss every time.
    import strawberry.schema.schema as strawberry_schema

    calls = []
    real_parse, real_validate = strawberry_schema.parse, strawberry_schema.validate_document
    monkeypatch.setattr(
        strawberry_schema, "parse", lambda *a, **k: calls.append("parse") or real_parse(*a, **k)
    )
    monkeypatch.setattr(
        strawberry_schema,
        "validate_document",
        lambda *a, **k: calls.append("validate") or real_validate(*a, **k),
    )
    schema = build_schema()
    query = "query CacheProbe { externalServices { __typename } }"
    schema.execute_sync(query)  # errors (no context) are fine: parse and validate ran
    schema.execute_sync(query)
    assert calls == ["parse", "validate"]
