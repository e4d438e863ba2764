"""The hand-built baseline of `minside bench` answers what the gateway answers."""

from __future__ import annotations

import json
from pathlib import Path

from bench.baseline import dashboard
from connectors.registry import open_connectors
from connectors.session import open_session

PAGE = (Path(__file__).resolve().parents[2] / "bench" / "dashboard.graphql").read_text()


async def test_the_baseline_finds_what_the_gateway_shows(graph):
    for person in (1, 2, 3):
        pid = graph.pid(person)
        gateway = (await graph.query(PAGE, pid=pid))["data"]["viewer"]
        async with open_session() as session:
            by_hand = json.loads(
                await dashboard(open_connectors(graph.stack.settings, session), pid)
            )
        viewer = by_hand["viewer"]
        assert gateway["name"]["fullName"].endswith(viewer["name"]["last_name"])
        assert "personal_id_number" not in viewer["name"]  # no fødselsnummer in the JSON
        for section in ("properties", "cases", "invoices"):
            assert viewer[section]["totalCount"] == gateway[section]["totalCount"], section
            assert len(viewer[section]["nodes"]) == len(gateway[section]["nodes"]), section
        shown = [n["matrikkelnummer"]["text"] for n in gateway["properties"]["nodes"]]
        built = [node["record"]["matrikkelnummer"] for node in viewer["properties"]["nodes"]]
        assert built == shown
        cases = [n["caseNumber"] for n in gateway["cases"]["nodes"]]
        assert [node["case"]["case_number"] for node in viewer["cases"]["nodes"]] == cases
