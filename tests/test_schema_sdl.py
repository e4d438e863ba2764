"""The committed SDL (schema.graphql) must match the code; regenerate with `make schema`."""

from pathlib import Path

from schema.build import build_schema

SDL_FILE = Path(__file__).resolve().parent.parent / "schema.graphql"


def test_committed_sdl_is_current():
    committed = SDL_FILE.read_text(encoding="utf-8")
    current = build_schema().as_str() + "\n"
    assert committed == current, "schema.graphql is stale: run `make schema` and commit it"


def test_parser_and_validation_caches_hit_on_a_repeated_query():
    # The depth rule must be the same class on every request, or the validation cache (keyed
    # by the rules) would miss every time.
    from strawberry.extensions.parser_cache import _get_parse_cache
    from strawberry.extensions.validation_cache import _get_validate_cache

    schema = build_schema()
    query = "query CacheProbe { externalServices { __typename } }"
    schema.execute_sync(query)  # errors (no context) are fine: parse and validate ran
    parse_hits = _get_parse_cache(256).cache_info().hits
    validate_hits = _get_validate_cache(256).cache_info().hits
    schema.execute_sync(query)
    assert _get_parse_cache(256).cache_info().hits == parse_hits + 1
    assert _get_validate_cache(256).cache_info().hits == validate_hits + 1
