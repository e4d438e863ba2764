"""The README's dashboard query (bench/dashboard.graphql) answers in full for test person #1."""

from __future__ import annotations

from pathlib import Path

DASHBOARD = (Path(__file__).resolve().parents[2] / "bench" / "dashboard.graphql").read_text()


async def test_dashboard_query_answers_without_errors(graph):
    result = await graph.query(DASHBOARD, pid=graph.pid(1))
    assert "errors" not in result, result["errors"]
    viewer = result["data"]["viewer"]
    assert viewer["properties"]["totalCount"] == 1
    assert viewer["cases"]["totalCount"] == 3
    assert all(s["status"] == "OK" for s in viewer["sources"])
    # Times are in Min side's time zone (Europe/Oslo: +01:00 in winter, +02:00 in summer).
    assert all(s["asOf"].endswith(("+01:00", "+02:00")) for s in viewer["sources"])
    assert len(result["data"]["externalServices"]) >= 3
