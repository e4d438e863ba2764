"""A lone surrogate in a comment or a text answer is INVALID_FORMAT, refused before the
submission is fingerprinted (json + UTF-8 could not encode it: a 500 before), nothing stored."""

from __future__ import annotations

import json
import uuid

from simulators.population import documented
from tests.graph.submission.helpers import (
    PDF,
    SUBMIT_APPLICATION,
    SUBMIT_READING,
    codes,
    homeowner_meter,
    post_multipart,
    reading_input,
    submissions,
)

# JSON's escape for a lone high surrogate: valid JSON, no valid UTF-8 (\\ud800 in the body).
LONE = "\ud800"


async def post_json(graph, query, variables, pid):
    token = graph.stack.token(pid, "idporten-loa-substantial")
    body = json.dumps({"query": query, "variables": variables})  # ensure_ascii: "\\ud800"
    async with graph.http.post(
        f"{graph.stack.gateway_url}/graphql",
        data=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    ) as response:
        text = await response.text()
        assert response.status == 200, text
        return json.loads(text)


async def test_a_comment_with_a_lone_surrogate_is_invalid_format(graph):
    pid = graph.pid(documented.HOMEOWNER)
    reading = reading_input(homeowner_meter(graph), comment=f"a{LONE}b")
    result = await post_json(graph, SUBMIT_READING, {"input": reading}, pid)
    assert codes(result, "submitMeterReading") == {("comment", "INVALID_FORMAT")}
    assert await submissions(graph, pid) == []


async def test_a_text_answer_with_a_lone_surrogate_is_invalid_format(graph):
    pid = graph.pid(documented.HOMEOWNER)
    application = {
        "typeCode": "GRAVETILLATELSE",
        "idempotencyKey": str(uuid.uuid4()),
        "fields": [
            {"key": "location", "value": f"Storgata 1 {LONE}"},
            {"key": "start_date", "value": "2027-03-01"},
            {"key": "end_date", "value": "2027-03-15"},
            {"key": "contractor", "value": "Graveservice AS"},
            {"key": "road_closed", "value": "false"},
        ],
        "files": [{"attachment": "map", "file": None}],
    }
    status, result = await post_multipart(
        graph,
        SUBMIT_APPLICATION,
        {"input": application},
        [("variables.input.files.0.file", "kart.pdf", "application/pdf", PDF)],
        pid=pid,
    )
    assert status == 200, result
    assert codes(result, "submitApplication") == {("fields.location", "INVALID_FORMAT")}
    assert await submissions(graph, pid) == []
