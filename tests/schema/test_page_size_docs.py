"""Every `first` argument states the real maximum page size in its description."""

from __future__ import annotations

from graphql import GraphQLInterfaceType, GraphQLObjectType

from schema.build import build_schema
from schema.relay import MAX_PAGE_SIZE


def test_every_first_argument_states_the_maximum_page_size() -> None:
    schema = build_schema()._schema
    firsts = {
        f"{type_.name}.{name}": field.args["first"].description or ""
        for type_ in schema.type_map.values()
        if isinstance(type_, GraphQLObjectType | GraphQLInterfaceType)
        and not type_.name.startswith("__")
        for name, field in type_.fields.items()
        if "first" in field.args
    }
    assert len(firsts) >= 5, firsts
    missing = {name for name, text in firsts.items() if f"at most {MAX_PAGE_SIZE}" not in text}
    assert not missing, missing
