"""Which fields feed the access log: every field that hands out a personal-data object, found
from the schema itself, so a new field returning one is recorded without being listed."""

from __future__ import annotations

from graphql import GraphQLObjectType, get_named_type

from schema.access_log.reads import PERSONAL_DATA
from schema.build import build_schema


def test_every_field_returning_personal_data_is_recorded():
    schema = build_schema()._schema
    recorded = set()
    returning = set()
    for type_name, graphql_type in schema.type_map.items():
        if not isinstance(graphql_type, GraphQLObjectType) or type_name.startswith("__"):
            continue
        for field_name, field in graphql_type.fields.items():
            coordinate = f"{type_name}.{field_name}"
            if field.resolve is not None and field.resolve.__qualname__.startswith("_recording"):
                recorded.add(coordinate)
            if get_named_type(field.type).name in {*PERSONAL_DATA, "Node"}:
                returning.add(coordinate)
    assert recorded == returning
    # The ones the dashboard, node(id:) and a case's page use, by name.
    assert {
        "Query.node",
        "CaseConnection.nodes",
        "CaseEdge.node",
        "Case.documents",
        "Case.decision",
        "PropertyConnection.nodes",
        "InvoiceConnection.nodes",
    } <= recorded
    # The access log's own entries are not personal-data objects: reading it is not logged.
    assert not any(c.startswith(("AccessLogEntry", "Citizen.accessLog")) for c in recorded)


def test_each_schema_is_wrapped_once():
    first, second = build_schema()._schema, build_schema()._schema
    for schema in (first, second):
        resolve = schema.type_map["Query"].fields["node"].resolve
        inner = resolve.__closure__[0].cell_contents
        assert not inner.__qualname__.startswith("_recording")
