"""The citizen's access log end to end: a dashboard, a ``node(id:)`` lookup and a download fill
it; the citizen sees those entries in ``viewer.accessLog`` (in their language), another citizen
sees none of them, and a partner portal's token may not read it."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import aiohttp
import psycopg
import pytest
from pydantic import SecretStr

from idporten_standin.tokens import sign
from kernel.servers import running_servers
from schema.relay import global_id
from simulators.population import documented
from tests.auth.stack import browser_login
from tests.graph.conftest import GRAPH_SETTINGS, GraphClient, own_gateway

DASHBOARD = (Path(__file__).resolve().parents[3] / "bench" / "dashboard.graphql").read_text()

DECISION_FILES = """
{ viewer { cases { nodes { id caseNumber
  decision { id documentNumber files { downloadUrl } } } } } }
"""

ACCESS_LOG = """
query Log($first: Int, $after: String, $filter: AccessLogFilter) {
  viewer { accessLog(first: $first, after: $after, filter: $filter) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { at clientId clientName kind kindLabel objectIds download }
  } }
}
"""

NODE = "query($id: ID!) { node(id: $id) { id ... on Case { caseNumber } } }"


async def access_log(graph, index, variables=None, **options):
    result = await graph.query(ACCESS_LOG, variables or {}, pid=graph.pid(index), **options)
    assert "errors" not in result, result
    return result["data"]["viewer"]["accessLog"]


async def read_dashboard_node_and_download(graph, index):
    """A dashboard, a node(id:) lookup of a case and a download of its decision's file;
    returns (the dashboard's data, the case's id, the decision's id)."""
    pid = graph.pid(index)
    dashboard = await graph.query(DASHBOARD, pid=pid)
    assert "errors" not in dashboard, dashboard
    listed = await graph.query(DECISION_FILES, pid=pid)
    case = next(c for c in listed["data"]["viewer"]["cases"]["nodes"] if c["decision"])
    found = await graph.query(NODE, {"id": case["id"]}, pid=pid)
    assert found["data"]["node"]["caseNumber"] == case["caseNumber"]
    url = case["decision"]["files"][0]["downloadUrl"]
    headers = {"Authorization": f"Bearer {graph.stack.token(pid)}"}
    async with graph.http.get(url, headers=headers) as response:
        assert response.status == 200
        await response.read()
    return dashboard["data"], case["id"], case["decision"]["id"]


async def test_reads_fill_the_citizens_own_log(graph):
    index = documented.DECISION
    dashboard, case_id, decision_id = await read_dashboard_node_and_download(graph, index)
    log = await access_log(graph, index, {"first": 100})
    entries = log["nodes"]
    assert log["totalCount"] == len(entries)
    assert {e["clientId"] for e in entries} == {"minside-gateway"}
    assert {e["clientName"] for e in entries} == {"Min side"}
    assert all(e["at"].endswith(("+01:00", "+02:00")) for e in entries)

    def ids(kind, download=False):
        return [
            set(e["objectIds"]) for e in entries if e["kind"] == kind and e["download"] is download
        ]

    # The dashboard: the page of properties, cases and invoices it showed, one entry each.
    viewer = dashboard["viewer"]
    shown_properties = {p["id"] for p in viewer["properties"]["nodes"]}
    assert shown_properties <= set().union(*ids("PROPERTY"))
    shown_cases = {global_id("Case", c["caseNumber"]) for c in viewer["cases"]["nodes"]}
    assert shown_cases in ids("CASE")  # the dashboard's entry
    shown_invoices = {global_id("Invoice", i["invoiceNumber"]) for i in viewer["invoices"]["nodes"]}
    if shown_invoices:
        assert shown_invoices in ids("INVOICE")
    # The node(id:) lookup: that one case.
    assert {case_id} in ids("CASE")
    # The download: the decision document, flagged as a download.
    assert ids("DOCUMENT", download=True) == [{decision_id}]
    assert {decision_id} <= set().union(*ids("DOCUMENT"))  # its listing, too
    # Reading the log is not itself logged.
    again = await access_log(graph, index, {"first": 100})
    assert again["totalCount"] == log["totalCount"]
    # Counted for /metrics; nothing dropped.
    async with graph.http.get(f"{graph.stack.gateway_url}/metrics") as response:
        metrics = await response.text()
    written = next(
        line for line in metrics.splitlines() if line.startswith("minside_access_log_written_total")
    )
    assert float(written.split()[-1]) == log["totalCount"]
    assert "minside_access_log_dropped_total{" not in metrics


async def test_another_citizen_sees_none_of_it(graph):
    await read_dashboard_node_and_download(graph, documented.DECISION)
    theirs = await access_log(graph, documented.HOMEOWNER)
    assert theirs["totalCount"] == 0
    assert theirs["nodes"] == []
    mine = await access_log(graph, documented.DECISION)
    assert mine["totalCount"] > 0


async def test_pages_filters_and_languages(graph):
    index = documented.DECISION
    await read_dashboard_node_and_download(graph, index)
    everything = await access_log(graph, index, {"first": 100})
    first = await access_log(graph, index, {"first": 2})
    assert first["pageInfo"]["hasNextPage"]
    rest = await access_log(graph, index, {"first": 100, "after": first["pageInfo"]["endCursor"]})
    assert first["nodes"] + rest["nodes"] == everything["nodes"]
    downloads = await access_log(graph, index, {"filter": {"kinds": ["DOCUMENT"]}})
    assert {e["kind"] for e in downloads["nodes"]} == {"DOCUMENT"}
    today = everything["nodes"][0]["at"][:10]
    same_day = await access_log(graph, index, {"filter": {"from": today, "to": today}})
    assert same_day["totalCount"] == everything["totalCount"]
    other_client = await access_log(graph, index, {"filter": {"clientId": "someone-else"}})
    assert other_client["totalCount"] == 0
    nynorsk = await access_log(graph, index, headers={"Accept-Language": "nn"})
    assert {e["clientName"] for e in nynorsk["nodes"]} == {"Mi side"}
    english = await access_log(graph, index, headers={"Accept-Language": "en"})
    assert "Document" in {e["kindLabel"] for e in english["nodes"]}


async def test_bad_arguments_are_bad_user_input(graph):
    pid = graph.pid(documented.DECISION)
    for variables in (
        {"first": 101},
        {"after": "bm90LWEtY3Vyc29y"},
        {"filter": {"from": "2026-02-02", "to": "2026-02-01"}},
    ):
        result = await graph.query(ACCESS_LOG, variables, pid=pid)
        assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", variables
        assert result["data"]["viewer"]["accessLog"] is None


PARTNER = "demo-fakturaportal"  # config/partners.toml: an invoices-only portal


def partner_token(graph, index, client_id=PARTNER):
    """A token as ID-porten would issue it to a partner portal's own client."""
    own = graph.stack.token(graph.pid(index))
    payload = own.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["client_id"] = client_id
    return sign(graph.stack.standin_app.state.standin.config, claims, typ="at+jwt")


async def post_as(graph, token, query, variables=None):
    async with graph.http.post(
        f"{graph.stack.gateway_url}/graphql",
        json={"query": query, "variables": variables or {}},
        headers={"Authorization": f"Bearer {token}"},
    ) as response:
        assert response.status == 200
        return await response.json()


async def test_a_partner_may_not_read_it_but_its_reads_are_logged(graph):
    index = documented.OVERDUE
    token = partner_token(graph, index)
    refused = await post_as(graph, token, ACCESS_LOG)
    assert refused["data"]["viewer"]["accessLog"] is None
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    read = await post_as(graph, token, "{ viewer { invoices(first: 3) { nodes { id } } } }")
    shown = {i["id"] for i in read["data"]["viewer"]["invoices"]["nodes"]}
    assert shown
    log = await access_log(graph, index, {"filter": {"clientId": PARTNER}})
    assert [(e["kind"], set(e["objectIds"])) for e in log["nodes"]] == [("INVOICE", shown)]
    # The catalogue's name, in the reader's language.
    assert log["nodes"][0]["clientName"] == "Fakturaportalen (demo)"


async def test_only_what_was_selected_is_logged(graph):
    index = documented.MANY_CASES
    counted = await graph.query("{ viewer { cases { totalCount } } }", pid=graph.pid(index))
    assert counted["data"]["viewer"]["cases"]["totalCount"] > 5
    assert (await access_log(graph, index))["totalCount"] == 0
    page = await graph.query(
        "{ viewer { cases(first: 2) { edges { node { id } } } } }", pid=graph.pid(index)
    )
    shown = {e["node"]["id"] for e in page["data"]["viewer"]["cases"]["edges"]}
    log = await access_log(graph, index)
    assert [set(e["objectIds"]) for e in log["nodes"]] == [shown]


@pytest.mark.own_stack
async def test_the_browser_session_is_min_side(graph):
    index = documented.DECISION
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser:
        await browser_login(browser, f"{graph.stack.gateway_url}/auth/login", graph.pid(index))
        async with browser.post(
            f"{graph.stack.gateway_url}/graphql",
            json={"query": "{ viewer { invoices(first: 3) { nodes { id } } } }"},
            headers={"X-Requested-With": "fetch"},
        ) as response:
            assert response.status == 200, await response.text()
            body = await response.json()
        async with browser.post(
            f"{graph.stack.gateway_url}/graphql",
            json={"query": ACCESS_LOG},
            headers={"X-Requested-With": "fetch"},
        ) as response:
            logged = await response.json()
    shown = {i["id"] for i in body["data"]["viewer"]["invoices"]["nodes"]}
    entries = logged["data"]["viewer"]["accessLog"]["nodes"]
    assert [(e["kind"], e["clientName"], set(e["objectIds"])) for e in entries] == [
        ("INVOICE", "Min side", shown)
    ]


async def test_an_invoice_pdf_download_is_logged_as_its_invoice(graph):
    index = documented.OVERDUE
    pid = graph.pid(index)
    listed = await graph.query("{ viewer { invoices(first: 1) { nodes { id pdfUrl } } } }", pid=pid)
    invoice = listed["data"]["viewer"]["invoices"]["nodes"][0]
    headers = {"Authorization": f"Bearer {graph.stack.token(pid)}"}
    async with graph.http.get(invoice["pdfUrl"], headers=headers) as response:
        assert response.status == 200
        await response.read()
    # A refused download (someone else's link) is not a read.
    other = {"Authorization": f"Bearer {graph.stack.token(graph.pid(documented.HOMEOWNER))}"}
    async with graph.http.get(invoice["pdfUrl"], headers=other) as response:
        assert response.status == 404
    log = await access_log(graph, index)
    assert [(e["kind"], e["objectIds"], e["download"]) for e in log["nodes"]] == [
        ("INVOICE", [invoice["id"]], True),
        ("INVOICE", [invoice["id"]], False),
    ]
    assert (await access_log(graph, documented.HOMEOWNER))["totalCount"] == 0


async def test_on_postgresql_the_log_is_shared_by_every_gateway(
    back_office, database_url, tmp_path
):
    overrides = {
        **GRAPH_SETTINGS,
        "outbox_url": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
        "database_url": SecretStr(database_url),
    }
    (first, first_spec), (second, second_spec) = [
        await own_gateway(back_office, overrides) for _ in range(2)
    ]
    index = documented.DECISION
    async with aiohttp.ClientSession() as http, running_servers([first_spec, second_spec]):
        on_first, on_second = GraphClient(first, http), GraphClient(second, http)
        pid = on_first.pid(index)
        read = await on_first.query("{ viewer { cases(first: 2) { nodes { id } } } }", pid=pid)
        shown = {c["id"] for c in read["data"]["viewer"]["cases"]["nodes"]}
        here = await access_log(on_first, index)  # waits for this gateway's writer
        there = await access_log(on_second, index)
        assert here == there
        assert [set(e["objectIds"]) for e in there["nodes"]] == [shown]
        assert (await access_log(on_second, documented.HOMEOWNER))["totalCount"] == 0
    with psycopg.connect(database_url) as db:
        rows = db.execute("SELECT * FROM access_log").fetchall()
    assert len(rows) == 1
    assert pid not in repr(rows)
