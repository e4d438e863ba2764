"""An ``Upload`` is a file part with a filename, checked while the variables are coerced; and
one mutation field's failure does not take its siblings' results with it (issue 12)."""

from __future__ import annotations

import json
import re

import aiohttp

from simulators.population import documented
from tests.graph.submission.helpers import (
    PDF,
    RECEIPT_FIELDS,
    SUBMIT_READING,
    digging,
    homeowner_meter,
    post_multipart,
    reading_input,
    submissions,
)

BOTH = """
mutation($reading: SubmitMeterReadingInput!, $application: SubmitApplicationInput!) {
  submitMeterReading(input: $reading) {
    __typename ... on MeterReadingReceipt { RECEIPT_FIELDS }
    ... on SubmitMeterReadingErrors { errors { field code } }
  }
  submitApplication(input: $application) {
    __typename ... on ApplicationReceipt { RECEIPT_FIELDS }
    ... on SubmitApplicationErrors { errors { field code } }
  }
}
""".replace("RECEIPT_FIELDS", RECEIPT_FIELDS)

SLOT = "variables.application.files.0.file"


def digging_with(file):
    """The application of tests.graph.submission.helpers.digging with `file` in its map slot."""
    return digging(files=[{"attachment": "map", "file": file}])


async def send(graph, application, files):
    pid = graph.pid(documented.HOMEOWNER)
    variables = {"reading": reading_input(homeowner_meter(graph)), "application": application}
    status, body = await post_multipart(graph, BOTH, variables, files, pid=pid)
    assert status < 500, body
    return pid, body


async def test_an_upload_that_is_not_a_file_is_refused_before_anything_runs(graph):
    for value in ["not a file", 12345, {"name": "x.pdf"}]:
        pid, body = await send(graph, digging_with(value), [])
        assert body.get("data") is None, body
        assert {e["extensions"]["code"] for e in body["errors"]} == {"BAD_USER_INPUT"}, body
        assert await submissions(graph, pid) == []  # the reading was not stored either


async def test_a_part_without_a_filename_is_refused(graph):
    pid = graph.pid(documented.HOMEOWNER)
    # The map names a part that is a plain form field (no filename): a string, not a file.
    form = aiohttp.FormData(default_to_multipart=True)
    form.add_field(
        "operations",
        json.dumps(
            {
                "query": BOTH,
                "variables": {
                    "reading": reading_input(homeowner_meter(graph)),
                    "application": digging_with(None),
                },
            }
        ),
    )
    form.add_field("map", json.dumps({"0": [SLOT]}))
    form.add_field("0", "just text, no filename")
    async with graph.http.post(
        f"{graph.stack.gateway_url}/graphql",
        data=form,
        headers={"Authorization": f"Bearer {graph.stack.token(pid, 'idporten-loa-substantial')}"},
    ) as response:
        body = json.loads(await response.text())
        assert response.status < 500, body
    assert body.get("data") is None, body
    assert {e["extensions"]["code"] for e in body["errors"]} == {"BAD_USER_INPUT"}, body
    assert await submissions(graph, pid) == []


async def test_a_failing_sibling_keeps_the_readings_receipt(graph, monkeypatch):
    import schema.submission.mutation as mutation

    async def broken(*args, **kwargs):
        raise RuntimeError("the application path broke")

    monkeypatch.setattr(mutation, "submit_application", broken)
    pid, body = await send(graph, digging_with(None), [(SLOT, "kart.pdf", "application/pdf", PDF)])
    assert body["data"]["submitMeterReading"]["__typename"] == "MeterReadingReceipt", body
    assert body["data"]["submitApplication"] is None, body
    (error,) = body["errors"]
    assert error["path"] == ["submitApplication"] and error["extensions"]["code"] == "INTERNAL"
    stored = await submissions(graph, pid)
    assert [s["receiptId"] for s in stored] == [body["data"]["submitMeterReading"]["receiptId"]]


async def test_a_file_in_a_variable_of_another_type_is_named_in_plain_words(graph):
    pid = graph.pid(documented.HOMEOWNER)
    reading = reading_input(homeowner_meter(graph), comment=None)
    status, body = await post_multipart(
        graph,
        SUBMIT_READING,
        {"input": reading},
        [("variables.input.comment", "note.pdf", "application/pdf", PDF)],
        pid=pid,
    )
    assert status < 500, body
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", body
    assert "comment" in error["message"], body
    assert not re.search(r"instance>|object at 0x|UploadFile", error["message"]), body
