"""The partner catalogue: validated at start-up, the demo's partner, the stand-in's registry,
and the scope table checked against the schema."""

from __future__ import annotations

from pathlib import Path

import pytest
import strawberry
from strawberry.types import Info

from auth.viewer import MIN_SIDE
from idporten_standin.spec import standin_config
from kernel.partners import ALL_SCOPES, ClientRegistry, Scope, load_partners
from kernel.settings import DEFAULT_PARTNERS_FILE, Settings, SettingsError, load_settings
from minside.cli import build_parser
from schema.build import build_schema
from schema.scopes import ScopeTableError, gated_fields

NAME = 'name = { nb = "P", nn = "P", en = "P" }'


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "partners.toml"
    path.write_text(text, encoding="utf-8")
    return path


def partner(client_id: str = "p", **fields: str) -> str:
    lines = [f'client_id = "{client_id}"', NAME, 'scopes = ["invoices"]']
    lines = [line for line in lines if line.split(" ")[0] not in fields]
    lines += [f"{key} = {value}" for key, value in fields.items()]
    return "[[partner]]\n" + "\n".join(lines) + "\n"


def test_the_shipped_catalogue_has_the_invoices_only_demo_portal() -> None:
    catalogue = load_partners(DEFAULT_PARTNERS_FILE, own_client_id="minside-gateway")
    demo = catalogue.by_client_id("demo-fakturaportal")
    assert demo is not None
    assert demo.scopes == (Scope.INVOICES,)
    assert "http://127.0.0.1:5173" in demo.origins
    assert demo.rate_limit is not None and demo.rate_limit.cost > 0
    assert demo.name.nn and demo.name.en


def test_the_stand_in_registers_every_partner() -> None:
    clients = standin_config(load_settings()).clients
    assert clients[0].client_id == "minside-gateway"  # the default client of minted tokens
    assert "demo-fakturaportal" in [client.client_id for client in clients]


def test_dev_token_takes_the_client(tmp_path: Path) -> None:
    args = build_parser().parse_args(["dev-token", "--pid", "1", "--client", "demo-x"])
    assert args.client_id == "demo-x"
    args = build_parser().parse_args(["dev-token", "--pid", "1", "--client-id", "demo-y"])
    assert args.client_id == "demo-y"


def test_an_empty_catalogue_is_fine(tmp_path: Path) -> None:
    assert load_partners(write(tmp_path, "")).partners == ()


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        (partner(scopes='["invoices", "payments"]'), "partner 'p': scopes.1"),
        (partner(scopes="[]"), "partner 'p': scopes"),
        (partner(scopes='["cases", "cases"]'), "listed twice"),
        (partner(origins='["http://portal.example"]'), "must be https"),
        (partner(origins='["https://portal.example/"]'), "is not an origin"),
        (partner(origins='["https://portal.example/app"]'), "is not an origin"),
        (partner(origins='["https://Portal.example"]'), "is not an origin"),
        (partner(origins='["*"]'), "is not an origin"),
        (partner(rate_limit="{ cost = 0, window_s = 60 }"), "rate_limit.cost"),
        (partner(rate_limit="{ cost = 10 }"), "rate_limit.window_s"),
        (partner(secret='"x"'), "partner 'p': secret"),
        (partner(name='{ nb = "P", nn = "P" }'), "partner 'p': name.en"),
        (partner("has space"), "partner 'has space': client_id"),
        (partner() + partner(), "duplicate partner client_ids ['p']"),
        (partner("minside-gateway"), "Min side's own client"),
        (partner(trusted_documents='"missing.json"'), "trusted_documents: no file"),
        ("[[partner]\n", "not valid TOML"),
    ],
)
def test_a_bad_catalogue_stops_start_up(tmp_path: Path, text: str, complaint: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(SettingsError) as raised:
        load_partners(path, own_client_id="minside-gateway")
    message = str(raised.value)
    assert message.startswith(f"MINSIDE_PARTNERS_FILE: {path}")
    assert complaint in message


def test_a_bad_manifest_stops_the_gateway_naming_the_partner(tmp_path: Path) -> None:
    from app import build_app

    (tmp_path / "docs.json").write_text('{"abc": "{ viewer { id } }"}', encoding="utf-8")
    path = write(tmp_path, partner(trusted_documents='"docs.json"'))
    with pytest.raises(SettingsError, match="MINSIDE_PARTNERS_FILE: partner 'p': trusted_docu"):
        build_app(Settings(partners_file=path))


def test_loopback_origins_may_be_http_and_manifests_are_relative(tmp_path: Path) -> None:
    (tmp_path / "docs.json").write_text("{}", encoding="utf-8")
    text = partner(
        origins='["http://127.0.0.1:5173", "http://localhost:3000", "https://a.example"]',
        trusted_documents='"docs.json"',
    )
    (loaded,) = load_partners(write(tmp_path, text)).partners
    assert loaded.trusted_documents == (tmp_path / "docs.json").resolve()


def test_clients_min_side_has_every_scope_a_partner_only_its_own(tmp_path: Path) -> None:
    catalogue = load_partners(write(tmp_path, partner(scopes='["cases", "documents"]')))
    registry = ClientRegistry("minside-gateway", catalogue.partners)
    assert registry.own.scopes == ALL_SCOPES and MIN_SIDE.scopes == ALL_SCOPES
    portal = registry.get("p")
    assert portal is not None and portal.scopes == {Scope.CASES, Scope.DOCUMENTS}
    assert portal.allows(Scope.CASES) and not portal.allows(Scope.INVOICES)
    assert registry.get("unknown") is None


def test_every_field_into_personal_data_is_gated() -> None:
    gated = gated_fields(build_schema()._schema)
    assert gated == {
        ("Citizen", "properties"): Scope.PROPERTIES,
        ("Citizen", "cases"): Scope.CASES,
        ("Citizen", "invoices"): Scope.INVOICES,
        ("Citizen", "submissions"): Scope.SUBMISSIONS_READ,
        ("Citizen", "pendingApplications"): Scope.SUBMISSIONS_READ,
        ("Case", "documents"): Scope.DOCUMENTS,
        ("Case", "decision"): Scope.DOCUMENTS,
        ("Property", "invoices"): Scope.INVOICES,
        ("WaterMeter", "pendingReadings"): Scope.SUBMISSIONS_READ,
        ("Mutation", "submitMeterReading"): Scope.SUBMISSIONS_WRITE,
        ("Mutation", "submitApplication"): Scope.SUBMISSIONS_WRITE,
    }


@strawberry.type
class Secret:
    value: str


@strawberry.type
class Case:
    title: str


def _schema(query: type) -> strawberry.Schema:
    return strawberry.Schema(query=query)


def test_a_type_reachable_without_a_scope_stops_start_up() -> None:
    @strawberry.type
    class Query:
        @strawberry.field
        def secret(self, info: Info) -> Secret:
            return Secret(value="x")

    with pytest.raises(ScopeTableError, match="which the schema has not"):
        gated_fields(_schema(Query)._schema)


def test_the_table_checks_names_reachability_and_nullability(monkeypatch) -> None:
    import schema.scopes as scopes

    monkeypatch.setattr(scopes, "TYPE_SCOPES", {"Case": Scope.CASES})
    monkeypatch.setattr(scopes, "OPEN_TYPES", frozenset({"Query"}))
    monkeypatch.setattr(scopes, "BY_KIND_TYPES", frozenset())

    @strawberry.type
    class Query:
        secret: Secret | None
        case: Case | None

    with pytest.raises(ScopeTableError, match="Secret is reachable without a scope"):
        gated_fields(_schema(Query)._schema)

    @strawberry.type(name="Query")
    class StrictQuery:
        case: Case

    with pytest.raises(ScopeTableError, match=r"Query.case needs the scope cases and must be"):
        gated_fields(_schema(StrictQuery)._schema)

    @strawberry.type(name="Query")
    class GoodQuery:
        case: Case | None

    assert gated_fields(_schema(GoodQuery)._schema) == {("Query", "case"): Scope.CASES}
