"""Rate limits through the whole gateway over loopback (gateway.rate_limit): the RateLimit
headers on every answer, a 429 with Retry-After and RATE_LIMITED once a budget is spent, and
not one back-office call for the refused operation.

One stack for the module (budgets small enough to spend in a few requests); each test uses
test persons of its own, so their viewer budgets do not meet.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from graphql import parse
from pydantic import SecretStr

from gateway.rate_limit import DOWNLOAD_COST
from idporten_standin import DEV_API_SCOPE, issue_access_token
from kernel.servers import free_port
from kernel.settings import Settings
from kernel.systems import SYSTEM_NAMES
from minside.stack import RunningStack, running_stack
from schema.build import build_schema
from schema.cost import measure

# Servers on loopback sockets (the layer tests/conftest.py would give a file listed there).
pytestmark = pytest.mark.integration

CASES = "query Cases { viewer { cases(first: 5) { totalCount } } }"
PUBLIC = "query Public { __typename }"
COST = measure(build_schema()._schema, parse(CASES)).cost  # type: ignore[union-attr]
# Two CASES fit in a viewer's budget, a third does not.
VIEWER_BUDGET = 2 * COST + COST // 2
WINDOW_S = 600  # far longer than the module runs: no window ends under a test
GRAPHQL_RESPONSE = "application/graphql-response+json"


@dataclass
class Limited:
    stack: RunningStack
    http: aiohttp.ClientSession

    async def post(
        self,
        query: str,
        person: int | None,
        accept: str = GRAPHQL_RESPONSE,
        client_id: str | None = None,
    ) -> tuple[int, Any, Any]:
        headers = {"Accept": accept}
        if person is not None:
            pid = self.stack.population.person(person).pid
            token = issue_access_token(
                self.stack.standin_app, pid, scope=DEV_API_SCOPE, client_id=client_id
            )
            headers["Authorization"] = f"Bearer {token}"
        async with self.http.post(
            f"{self.stack.gateway_url}/graphql", json={"query": query}, headers=headers
        ) as response:
            return response.status, response.headers, await response.json(content_type=None)

    def calls(self) -> int:
        return sum(self.stack.control(system).calls.total() for system in SYSTEM_NAMES)

    async def metrics(self) -> str:
        async with self.http.get(f"{self.stack.gateway_url}/metrics") as response:
            return await response.text()


@pytest.fixture(scope="module")
async def limited(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Limited]:
    path: Path = tmp_path_factory.mktemp("rate-limit")
    settings = Settings(
        outbox_url=f"sqlite:///{path / 'outbox.sqlite3'}",
        rate_limit_window_s=WINDOW_S,
        rate_limit_viewer_cost=VIEWER_BUDGET,
        rate_limit_anonymous_cost=4,
        # Min side's own client (these tokens' client) with a budget: shown in the headers.
        rate_limit_own_client_cost=100 * COST,
        cache="off",
    )
    async with running_stack(settings) as stack, aiohttp.ClientSession() as http:
        yield Limited(stack, http)


def _params(header: str) -> dict[str, dict[str, str]]:
    """A structured-field list like '"viewer";q=10;w=60, "client";q=5;w=60' as a dict."""
    items: dict[str, dict[str, str]] = {}
    for member in header.split(","):
        name, *params = member.strip().split(";")
        items[name.strip('"')] = dict(p.split("=", 1) for p in params)
    return items


async def test_an_allowed_operation_carries_its_budgets_in_both_header_forms(limited):
    status, headers, body = await limited.post(CASES, person=1)
    assert status == 200, body
    assert body["extensions"]["cost"]["requested"] == COST
    policy = _params(headers["RateLimit-Policy"])
    assert policy["viewer"] == {"q": str(VIEWER_BUDGET), "w": str(WINDOW_S)}
    assert policy["client"] == {"q": str(100 * COST), "w": str(WINDOW_S)}
    current = _params(headers["RateLimit"])
    assert current["viewer"]["r"] == str(VIEWER_BUDGET - COST)
    assert 0 < int(current["viewer"]["t"]) <= WINDOW_S
    # The legacy trio names the tightest budget: the viewer's.
    assert headers["RateLimit-Limit"] == str(VIEWER_BUDGET)
    assert headers["RateLimit-Remaining"] == str(VIEWER_BUDGET - COST)
    assert 0 < int(headers["RateLimit-Reset"]) <= WINDOW_S
    assert "Retry-After" not in headers


@pytest.mark.parametrize(
    ("person", "accept"), [(2, GRAPHQL_RESPONSE), (3, "application/json")], ids=["gql", "json"]
)
async def test_once_the_viewer_budget_is_spent_429_and_no_back_office_call(limited, person, accept):
    for _ in range(2):
        status, _, body = await limited.post(CASES, person, accept)
        assert status == 200, body
    before = limited.calls()
    status, headers, body = await limited.post(CASES, person, accept)
    assert limited.calls() == before  # nothing executed: not one back-office call
    assert status == 429
    assert headers["Content-Type"].startswith(accept)
    assert int(headers["Retry-After"]) >= 1
    assert headers["RateLimit-Remaining"] == str(VIEWER_BUDGET - 2 * COST)
    assert _params(headers["RateLimit"])["viewer"]["r"] == str(VIEWER_BUDGET - 2 * COST)
    [error] = body["errors"]
    extensions = error["extensions"]
    assert extensions["code"] == "RATE_LIMITED"
    assert extensions["scope"] == "viewer"
    assert extensions["limit"] == VIEWER_BUDGET
    assert extensions["window"] == WINDOW_S
    assert extensions["retryAfter"] == int(headers["Retry-After"])
    assert f"limit is {VIEWER_BUDGET} per {WINDOW_S} s" in error["message"]
    assert re.search(r"Try again in \d+ s\.", error["message"])
    # GraphQL over HTTP: no data with application/graphql-response+json, null with JSON.
    if accept == GRAPHQL_RESPONSE:
        assert "data" not in body
    else:
        assert body["data"] is None
    # A refused operation charged nothing: the remaining budget is still spendable.
    status, _, body = await limited.post("query Small { viewer { __typename } }", person, accept)
    assert status == 200, body


async def test_a_request_error_is_not_charged_but_still_told_its_budget(limited):
    status, headers, body = await limited.post("{ viewer { nope } }", person=4)
    assert status == 400
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert headers["RateLimit-Remaining"] == str(VIEWER_BUDGET)
    status, headers, _ = await limited.post(CASES, person=4)
    assert status == 200
    assert headers["RateLimit-Remaining"] == str(VIEWER_BUDGET - COST)


async def test_viewers_have_budgets_of_their_own(limited):
    for _ in range(2):
        assert (await limited.post(CASES, person=5))[0] == 200
    assert (await limited.post(CASES, person=5))[0] == 429
    status, headers, _ = await limited.post(CASES, person=6)
    assert status == 200
    assert headers["RateLimit-Remaining"] == str(VIEWER_BUDGET - COST)


async def test_anonymous_requests_are_limited_per_address(limited):
    status, headers, body = await limited.post(PUBLIC, person=None)
    assert status == 200, body
    policy = _params(headers["RateLimit-Policy"])
    assert set(policy) == {"anonymous"}
    assert policy["anonymous"]["q"] == "4"
    # Asking for the viewer without credentials costs the viewer field (5): over the budget.
    status, headers, body = await limited.post("query Who { viewer { __typename } }", person=None)
    assert status == 429, body
    assert body["errors"][0]["extensions"]["scope"] == "anonymous"
    assert body["errors"][0]["message"].endswith("it costs more than the whole budget.")


async def test_refusals_are_counted_by_scope_in_metrics(limited):
    for _ in range(2):
        assert (await limited.post(CASES, person=7))[0] == 200
    assert (await limited.post(CASES, person=7))[0] == 429
    text = await limited.metrics()
    counted = re.search(r'^minside_rate_limited_total\{scope="viewer"\} (\S+)$', text, re.M)
    assert counted is not None and float(counted.group(1)) >= 1
    assert re.search(r'outcome="rate_limited"', text)


async def test_with_redis_down_operations_pass_unchecked_and_are_counted(tmp_path):
    # Redis configured but refusing connections: the API must stay up (fail open).
    settings = Settings(
        outbox_url=f"sqlite:///{tmp_path / 'outbox.sqlite3'}",
        redis_url=SecretStr(f"redis://127.0.0.1:{free_port()}/0"),
        rate_limit_viewer_cost=1,  # would refuse every query if it were counted
        cache="off",
    )
    async with running_stack(settings) as stack, aiohttp.ClientSession() as http:
        down = Limited(stack, http)
        for _ in range(2):
            status, headers, body = await down.post(CASES, person=1)
            assert status == 200, body
            assert body["data"]["viewer"]["cases"]["totalCount"] >= 0
            assert "RateLimit" not in headers and "RateLimit-Remaining" not in headers
        text = await down.metrics()
    unchecked = re.search(r"^minside_rate_limit_unchecked_total (\S+)$", text, re.M)
    assert unchecked is not None and float(unchecked.group(1)) >= 2


async def test_a_persisted_query_is_charged_as_its_document_and_an_unknown_hash_not(limited):
    digest = hashlib.sha256(CASES.encode()).hexdigest()
    persisted = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    token = limited.stack.token(limited.stack.population.person(8).pid)

    async def send(body: dict[str, Any]) -> tuple[int, Any, Any]:
        async with limited.http.post(
            f"{limited.stack.gateway_url}/graphql",
            json=body,
            headers={"Authorization": f"Bearer {token}", "Accept": GRAPHQL_RESPONSE},
        ) as response:
            return response.status, response.headers, await response.json(content_type=None)

    # Hash only, not known yet: PersistedQueryNotFound, nothing executed, nothing charged.
    status, headers, body = await send({"extensions": persisted})
    assert body["errors"][0]["message"] == "PersistedQueryNotFound", body
    assert headers["RateLimit-Remaining"] == str(VIEWER_BUDGET)
    # The document with its hash (registered), then the hash alone: each charged in full.
    status, headers, body = await send({"query": CASES, "extensions": persisted})
    assert status == 200, body
    assert headers["RateLimit-Remaining"] == str(VIEWER_BUDGET - COST)
    status, headers, body = await send({"extensions": persisted})
    assert status == 200, body
    assert headers["RateLimit-Remaining"] == str(VIEWER_BUDGET - 2 * COST)
    status, headers, body = await send({"extensions": persisted})
    assert status == 429, body


async def test_a_deferred_operation_is_charged_in_full_before_its_first_part(limited):
    deferred = "query D { viewer { __typename ... @defer { cases(first: 5) { totalCount } } } }"
    cost = measure(build_schema()._schema, parse(deferred)).cost  # type: ignore[union-attr]
    assert cost >= COST  # the deferred fragment's fields count
    token = limited.stack.token(limited.stack.population.person(9).pid)
    async with limited.http.post(
        f"{limited.stack.gateway_url}/graphql",
        json={"query": deferred},
        headers={"Authorization": f"Bearer {token}", "Accept": "multipart/mixed"},
    ) as response:
        status, headers, body = response.status, response.headers, await response.text()
    assert status == 200
    assert headers["Content-Type"].startswith("multipart/mixed")
    assert '"totalCount"' in body  # the deferred part came, and was paid for up front
    assert headers["RateLimit-Remaining"] == str(VIEWER_BUDGET - cost)


async def test_a_client_budget_is_shared_by_its_citizens(tmp_path):
    # A partner portal with a budget (and window) of its own in the catalogue.
    (tmp_path / "partners.toml").write_text(
        '[[partner]]\nclient_id = "p-cases"\nscopes = ["cases"]\n'
        'name = { nb = "P", nn = "P", en = "P" }\n'
        f"rate_limit = {{ cost = {VIEWER_BUDGET}, window_s = 30 }}\n"
    )
    settings = Settings(
        outbox_url=f"sqlite:///{tmp_path / 'outbox.sqlite3'}",
        partners_file=tmp_path / "partners.toml",
        rate_limit_own_client_cost=VIEWER_BUDGET,  # these tokens' client: Min side's own
        rate_limit_viewer_cost=10 * COST,
        cache="off",
    )
    async with running_stack(settings) as stack, aiohttp.ClientSession() as http:
        shared = Limited(stack, http)
        assert (await shared.post(CASES, person=1))[0] == 200
        assert (await shared.post(CASES, person=2))[0] == 200
        status, headers, body = await shared.post(CASES, person=3)
        assert status == 429, body
        assert body["errors"][0]["extensions"]["scope"] == "client"
        assert headers["RateLimit-Limit"] == str(VIEWER_BUDGET)
        # The partner's budget is its own: spent by its citizens, refused on its own.
        for person in (4, 5):
            status, headers, body = await shared.post(CASES, person, client_id="p-cases")
            assert status == 200, body
        assert _params(headers["RateLimit-Policy"])["client"] == {
            "q": str(VIEWER_BUDGET),
            "w": "30",
        }
        status, headers, body = await shared.post(CASES, person=6, client_id="p-cases")
        assert status == 429, body
        assert body["errors"][0]["extensions"]["scope"] == "client"
        assert body["errors"][0]["extensions"]["window"] == 30
        text = await shared.metrics()
    assert re.search(r'^minside_rate_limited_total\{scope="client"\} 2\.0$', text, re.M)


async def test_a_download_is_charged_and_refused_with_429_once_the_budget_is_spent(limited):
    population = limited.stack.population
    person = next(i for i in range(10, 200) if population.invoices_of(population.person(i).pid))
    query = "query Pdf { viewer { invoices(first: 1) { nodes { pdfUrl } } } }"
    status, _, body = await limited.post(query, person)
    assert status == 200, body
    link = body["data"]["viewer"]["invoices"]["nodes"][0]["pdfUrl"]
    token = limited.stack.token(population.person(person).pid)
    left = VIEWER_BUDGET - body["extensions"]["cost"]["requested"]
    statuses = []
    for _ in range(left // DOWNLOAD_COST + 1):
        before = limited.calls()
        async with limited.http.get(link, headers={"Authorization": f"Bearer {token}"}) as got:
            statuses.append(got.status)
            answer = await got.read()
            if got.status == 200:
                assert answer.startswith(b"%PDF-")
                assert int(got.headers["RateLimit-Remaining"]) == left - DOWNLOAD_COST * len(
                    statuses
                )
            else:
                assert limited.calls() == before  # refused before the ERP was asked
                assert int(got.headers["Retry-After"]) >= 1
                assert got.headers["RateLimit-Remaining"] == str(
                    left - DOWNLOAD_COST * (len(statuses) - 1)
                )
                refusal = json.loads(answer)
                assert refusal["error"] == "rate_limited"
                assert f"limit is {VIEWER_BUDGET} per {WINDOW_S} s" in refusal["message"]
    assert statuses == [200] * (left // DOWNLOAD_COST) + [429]
