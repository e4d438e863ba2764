"""Partner portals over real sockets: scopes, unknown clients, downloads, CORS, trusted documents.

One stack for the module (stand-in, simulators, gateway) with a partners catalogue of its own:
one partner per scope, so each scope is shown granted and withheld. Tokens are minted by the
stand-in, which registers every partner of the catalogue (as ``minside dev-token --client``).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from gateway.persisted_queries import sha256_hex
from idporten_standin import DEV_API_SCOPE, issue_access_token
from idporten_standin.config import RegisteredClient
from idporten_standin.tokens import mint_access_token
from kernel.settings import Settings
from minside.commands.dev_token import request_dev_token
from minside.stack import RunningStack, running_stack
from simulators.population import documented
from tests.auth.stack import browser, browser_login
from tests.environment import isolated_environment
from tests.graph.conftest import GRAPH_SETTINGS

PORTAL = "http://127.0.0.1:5173"
STRANGER = "https://evil.example"
TRUSTED_QUERY = "query Unpaid { viewer { invoices(first: 1) { totalCount } } }"

PARTNERS = f"""
[[partner]]
client_id = "p-properties"
name = {{ nb = "Eiendom", nn = "Eigedom", en = "Property" }}
scopes = ["properties"]

[[partner]]
client_id = "p-cases"
name = {{ nb = "Saker", nn = "Saker", en = "Cases" }}
scopes = ["cases"]

[[partner]]
client_id = "p-cases-documents"
name = {{ nb = "Saker og dokumenter", nn = "Saker og dokument", en = "Cases and documents" }}
scopes = ["cases", "documents"]

[[partner]]
client_id = "p-invoices"
name = {{ nb = "Fakturaportal", nn = "Fakturaportal", en = "Invoice portal" }}
scopes = ["invoices"]
origins = ["{PORTAL}"]
rate_limit = {{ cost = 5000, window_s = 60 }}

[[partner]]
client_id = "p-submissions-read"
name = {{ nb = "Innsendt", nn = "Innsendt", en = "Submitted" }}
scopes = ["submissions:read"]

[[partner]]
client_id = "p-submissions-write"
name = {{ nb = "Innsending", nn = "Innsending", en = "Submitting" }}
scopes = ["submissions:write"]

[[partner]]
client_id = "p-trusted"
name = {{ nb = "Betrodd", nn = "Betrudd", en = "Trusted" }}
scopes = ["invoices"]
trusted_documents = "trusted.json"
"""

METER_READING = """
mutation($input: SubmitMeterReadingInput!) { submitMeterReading(input: $input) { __typename } }
"""
# Per scope: a query that needs it, the path of the field that needs it, a partner with the
# scope and one without it.
PROBES: dict[str, tuple[str, tuple[str, ...], str, str]] = {
    "properties": (
        "{ viewer { properties(first: 1) { totalCount } } }",
        ("viewer", "properties"),
        "p-properties",
        "p-invoices",
    ),
    "cases": (
        "{ viewer { cases(first: 1) { totalCount } } }",
        ("viewer", "cases"),
        "p-cases",
        "p-invoices",
    ),
    "documents": (
        "{ viewer { cases(first: 1, filter: { open: false }) { nodes { decision { title } } } } }",
        ("viewer", "cases", "nodes", 0, "decision"),
        "p-cases-documents",
        "p-cases",
    ),
    "invoices": (
        "{ viewer { invoices(first: 1) { totalCount } } }",
        ("viewer", "invoices"),
        "p-invoices",
        "p-cases",
    ),
    "submissions:read": (
        "{ viewer { submissions { receiptId } } }",
        ("viewer", "submissions"),
        "p-submissions-read",
        "p-invoices",
    ),
    "submissions:write": (
        METER_READING,
        ("submitMeterReading",),
        "p-submissions-write",
        "p-submissions-read",
    ),
}


@pytest.fixture(scope="module")
async def stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningStack]:
    home = tmp_path_factory.mktemp("partners")
    (home / "partners.toml").write_text(PARTNERS, encoding="utf-8")
    (home / "trusted.json").write_text(json.dumps({sha256_hex(TRUSTED_QUERY): TRUSTED_QUERY}))
    with isolated_environment(home):
        settings = Settings(
            **{
                **GRAPH_SETTINGS,
                "outbox_url": f"sqlite:///{home / 'outbox.sqlite3'}",
                "partners_file": home / "partners.toml",
            }
        )
    async with running_stack(settings) as running:
        yield running


@pytest.fixture(scope="module")
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def pid_of(stack: RunningStack, person: int) -> str:
    return stack.population.person(person).pid


def token(stack: RunningStack, client_id: str | None, person: int = documented.HOMEOWNER) -> str:
    return issue_access_token(
        stack.standin_app, pid_of(stack, person), scope=DEV_API_SCOPE, client_id=client_id
    )


async def post(
    http: aiohttp.ClientSession,
    stack: RunningStack,
    query: str,
    *,
    bearer: str | None = None,
    variables: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any, Any]:
    sent = {"Content-Type": "application/json", **(headers or {})}
    if bearer is not None:
        sent["Authorization"] = f"Bearer {bearer}"
    body = {"query": query, "variables": variables or {}}
    async with http.post(f"{stack.gateway_url}/graphql", json=body, headers=sent) as response:
        return response.status, response.headers, await response.json(content_type=None)


def at(data: Any, path: tuple[str | int, ...]) -> Any:
    for step in path:
        data = data[step]
    return data


def variables_for(scope: str) -> dict[str, Any]:
    if scope != "submissions:write":
        return {}
    # A meter that is not the citizen's: the mutation runs and answers with input errors.
    return {
        "input": {
            "meterId": "V2F0ZXJNZXRlcjpub25l",
            "value": "1",
            "readOn": "2026-01-01",
            "idempotencyKey": str(uuid.uuid4()),
        }
    }


def person_for(scope: str) -> int:
    return documented.DECISION if scope == "documents" else documented.HOMEOWNER


@pytest.mark.parametrize("scope", sorted(PROBES))
async def test_a_partner_with_the_scope_reads_the_field(stack, http, scope) -> None:
    query, path, granted, _ = PROBES[scope]
    bearer = token(stack, granted, person_for(scope))
    status, _, body = await post(http, stack, query, bearer=bearer, variables=variables_for(scope))
    assert status == 200
    assert "errors" not in body, body
    assert at(body["data"], path) is not None


@pytest.mark.parametrize("scope", sorted(PROBES))
async def test_a_partner_without_the_scope_gets_null_and_a_typed_error(stack, http, scope) -> None:
    query, path, _, withheld = PROBES[scope]
    bearer = token(stack, withheld, person_for(scope))
    status, _, body = await post(http, stack, query, bearer=bearer, variables=variables_for(scope))
    assert status == 200
    assert at(body["data"], path) is None
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN_FOR_CLIENT"
    assert error["extensions"]["scope"] == scope
    assert tuple(error["path"]) == path


async def test_the_rest_of_the_response_is_answered(stack, http) -> None:
    query = """{ viewer { levelOfAssurance invoices(first: 5) { totalCount }
      properties(first: 1) { totalCount } cases(first: 1) { totalCount } } }"""
    status, _, body = await post(http, stack, query, bearer=token(stack, "p-invoices"))
    assert status == 200
    viewer = body["data"]["viewer"]
    assert viewer["levelOfAssurance"] == "SUBSTANTIAL"
    assert viewer["invoices"]["totalCount"] >= 1
    assert viewer["properties"] is None and viewer["cases"] is None
    refused = {tuple(e["path"]): e["extensions"]["scope"] for e in body["errors"]}
    assert refused == {("viewer", "properties"): "properties", ("viewer", "cases"): "cases"}


async def test_min_side_has_every_scope_by_token_and_by_session(stack, http) -> None:
    query = """{ viewer { properties(first: 1) { nodes { invoices(first: 1) { totalCount }
      waterMeters { pendingReadings { receiptId } } } }
      cases(first: 1) { nodes { documents { title } } }
      invoices(first: 1) { totalCount } submissions { receiptId } pendingApplications { receiptId }
    } }"""
    status, _, body = await post(http, stack, query, bearer=token(stack, None))
    assert status == 200 and "errors" not in body, body
    async with browser() as session:
        await browser_login(
            session, f"{stack.gateway_url}/auth/login", pid_of(stack, documented.HOMEOWNER)
        )
        status, _, body = await post(session, stack, query)
    assert status == 200 and "errors" not in body, body
    assert body["data"]["viewer"]["invoices"] is not None


async def test_nested_fields_of_another_scope_are_refused(stack, http) -> None:
    query = """{ viewer { properties(first: 1) { nodes { address { text }
      invoices(first: 1) { totalCount } } } } }"""
    _, _, body = await post(http, stack, query, bearer=token(stack, "p-properties"))
    (node,) = body["data"]["viewer"]["properties"]["nodes"]
    assert node["address"]["text"] and node["invoices"] is None
    assert [e["extensions"]["scope"] for e in body["errors"]] == ["invoices"]


async def test_node_lookup_checks_the_scope_of_the_ids_kind(stack, http) -> None:
    ids = "{ viewer { properties(first: 1) { nodes { id } } invoices(first: 1) { nodes { id } } } }"
    _, _, body = await post(http, stack, ids, bearer=token(stack, None))
    property_id = body["data"]["viewer"]["properties"]["nodes"][0]["id"]
    invoice_id = body["data"]["viewer"]["invoices"]["nodes"][0]["id"]
    lookup = "query($id: ID!) { node(id: $id) { id } }"
    portal = token(stack, "p-invoices")
    _, _, body = await post(http, stack, lookup, bearer=portal, variables={"id": invoice_id})
    assert body["data"]["node"] == {"id": invoice_id} and "errors" not in body
    _, _, body = await post(http, stack, lookup, bearer=portal, variables={"id": property_id})
    assert body["data"]["node"] is None
    assert body["errors"][0]["extensions"] == {
        "code": "FORBIDDEN_FOR_CLIENT",
        "scope": "properties",
    }


async def test_downloads_need_the_scope_of_their_kind(stack, http) -> None:
    links = """{ viewer { invoices(first: 1) { nodes { pdfUrl } }
      cases { nodes { decision { files { downloadUrl } } } } } }"""
    _, _, body = await post(http, stack, links, bearer=token(stack, None, documented.DECISION))
    viewer = body["data"]["viewer"]
    pdf = viewer["invoices"]["nodes"][0]["pdfUrl"]
    case_file = next(
        n["decision"]["files"][0]["downloadUrl"] for n in viewer["cases"]["nodes"] if n["decision"]
    )

    async def get(url: str, client_id: str) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token(stack, client_id, documented.DECISION)}"}
        async with http.get(url, headers=headers) as response:
            return response.status, await response.read()

    status, data = await get(pdf, "p-invoices")
    assert status == 200 and data.startswith(b"%PDF")
    # From the portal's page: the file name is readable there too.
    bearer = token(stack, "p-invoices", documented.DECISION)
    headers = {"Authorization": f"Bearer {bearer}", "Origin": PORTAL}
    async with http.get(pdf, headers=headers) as response:
        assert response.status == 200
        assert response.headers["Access-Control-Allow-Origin"] == PORTAL
        exposed = response.headers["Access-Control-Expose-Headers"].lower()
        assert "content-disposition" in exposed
    status, data = await get(case_file, "p-invoices")
    assert status == 403
    assert json.loads(data)["error"] == "forbidden_for_client"
    assert json.loads(data)["scope"] == "documents"
    status, data = await get(pdf, "p-cases-documents")
    assert status == 403 and json.loads(data)["scope"] == "invoices"
    status, data = await get(case_file, "p-cases-documents")
    assert status == 200 and data.startswith(b"%PDF")


async def test_a_token_of_an_unknown_client_is_refused(stack, http) -> None:
    from idporten_standin.app import Standin

    standin: Standin = stack.standin_app.state.standin
    stranger = RegisteredClient(client_id="not-a-partner", redirect_uris=())
    pid = pid_of(stack, documented.HOMEOWNER)
    bearer = mint_access_token(standin.config, stranger, pid, scope=DEV_API_SCOPE)
    status, headers, body = await post(
        http, stack, "{ viewer { levelOfAssurance } }", bearer=bearer
    )
    assert status == 401
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert 'error="invalid_token"' in headers["WWW-Authenticate"]
    assert "client this API does not know" in body["errors"][0]["message"]
    async with http.get(
        f"{stack.gateway_url}/files/x", headers={"Authorization": f"Bearer {bearer}"}
    ) as response:
        assert response.status == 401


async def test_dev_token_mints_a_partner_token(stack, http) -> None:
    bearer = await request_dev_token(
        stack.urls["idporten"], pid_of(stack, documented.HOMEOWNER), client_id="p-invoices"
    )
    query = "{ viewer { invoices(first: 1) { totalCount } properties(first: 1) { totalCount } } }"
    _, _, body = await post(http, stack, query, bearer=bearer)
    assert body["data"]["viewer"]["invoices"] is not None
    assert body["data"]["viewer"]["properties"] is None


async def preflight(http, stack, origin: str, path: str = "/graphql") -> tuple[int, Any]:
    headers = {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
    }
    async with http.options(stack.gateway_url + path, headers=headers) as response:
        return response.status, response.headers


async def test_cors_preflight_for_a_listed_origin(stack, http) -> None:
    status, headers = await preflight(http, stack, PORTAL)
    assert status == 200
    assert headers["Access-Control-Allow-Origin"] == PORTAL
    assert "POST" in headers["Access-Control-Allow-Methods"]
    allowed = headers["Access-Control-Allow-Headers"].lower()
    assert "authorization" in allowed and "content-type" in allowed
    assert "Access-Control-Allow-Credentials" not in headers
    status, headers = await preflight(http, stack, PORTAL, "/files/anything")
    assert status == 200 and headers["Access-Control-Allow-Origin"] == PORTAL


async def test_cors_nothing_for_other_origins(stack, http) -> None:
    for origin in (STRANGER, PORTAL + ".evil.example", "http://127.0.0.1:5174", "null"):
        status, headers = await preflight(http, stack, origin)
        assert status >= 400
        assert not any(name.lower().startswith("access-control-") for name in headers)
    # /auth/* is Min side's own: no CORS even for a partner's origin.
    status, headers = await preflight(http, stack, PORTAL, "/auth/login")
    assert "Access-Control-Allow-Origin" not in headers


async def test_bearer_calls_from_a_partner_origin_work_cookie_calls_do_not(stack, http) -> None:
    query = "{ viewer { invoices(first: 1) { totalCount } } }"
    status, headers, body = await post(
        http, stack, query, bearer=token(stack, "p-invoices"), headers={"Origin": PORTAL}
    )
    assert status == 200 and body["data"]["viewer"]["invoices"] is not None
    assert headers["Access-Control-Allow-Origin"] == PORTAL
    assert "Access-Control-Allow-Credentials" not in headers
    status, headers, body = await post(
        http, stack, query, bearer=token(stack, "p-invoices"), headers={"Origin": STRANGER}
    )
    assert "Access-Control-Allow-Origin" not in headers
    # A citizen's browser session, sent from the partner's page: refused as cross-site.
    async with browser() as session:
        await browser_login(
            session, f"{stack.gateway_url}/auth/login", pid_of(stack, documented.HOMEOWNER)
        )
        status, _, body = await post(session, stack, query, headers={"Origin": PORTAL})
    assert status == 403
    assert body["errors"][0]["extensions"]["code"] == "CSRF_REFUSED"


async def test_a_partner_page_can_read_its_rate_limit_headers(stack, http) -> None:
    """The RateLimit headers (gateway.rate_limit) are exposed to a partner's page, which
    cannot pace itself on headers its browser hides from it."""
    query = "{ viewer { invoices(first: 1) { totalCount } } }"
    status, headers, _ = await post(
        http, stack, query, bearer=token(stack, "p-invoices"), headers={"Origin": PORTAL}
    )
    assert status == 200
    assert headers["RateLimit-Policy"] and headers["RateLimit-Remaining"]
    exposed = {name.strip() for name in headers["Access-Control-Expose-Headers"].lower().split(",")}
    rate_limit = {"ratelimit", "ratelimit-policy", "ratelimit-limit", "ratelimit-remaining"}
    assert rate_limit | {"ratelimit-reset", "retry-after"} <= exposed


async def test_a_partner_with_trusted_documents_runs_only_those(stack, http) -> None:
    bearer = token(stack, "p-trusted")
    status, _, body = await post(http, stack, TRUSTED_QUERY, bearer=bearer)
    assert status == 200 and "errors" not in body, body
    other = "{ viewer { invoices(first: 2) { totalCount } } }"
    status, _, body = await post(http, stack, other, bearer=bearer)
    assert status == 400
    assert body["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_ALLOWED"
    # Other clients are not bound by that manifest.
    status, _, body = await post(http, stack, other, bearer=token(stack, "p-invoices"))
    assert status == 200 and "errors" not in body


def test_the_client_names_itself_on_the_viewer(stack) -> None:
    registry = stack.gateway_app.state.gateway.auth.clients
    portal = registry.get("p-invoices")
    assert portal is not None and portal.is_partner
    assert portal.name.en == "Invoice portal"
    assert portal.partner.rate_limit.cost == 5000
    assert not registry.own.is_partner and registry.own.client_id == "minside-gateway"
    assert registry.get("someone-else") is None
