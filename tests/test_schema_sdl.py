"""The committed SDL (schema.graphql) must match the code; regenerate with `make schema`."""

from pathlib import Path

from schema.build import build_schema

SDL_FILE = Path(__file__).resolve().parent.parent / "schema.graphql"


def test_committed_sdl_is_current():
    committed = SDL_FILE.read_text(encoding="utf-8")
    current = build_schema().as_str() + "\n"
    assert committed == current, "schema.graphql is stale: run `make schema` and commit it"
