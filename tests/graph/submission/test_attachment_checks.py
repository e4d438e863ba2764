"""Uploads checked whole against their declared type, and against the archive's limits: a
refused upload answers a typed error and changes nothing (no record, no case)."""

from __future__ import annotations

import pytest

from simulators.population import documented
from tests import upload_samples
from tests.graph.submission.helpers import (
    SUBMIT_APPLICATION,
    codes,
    digging,
    post_multipart,
    submissions,
)

MUTATION = "submitApplication"
HTML = b"<html><body><script>alert(document.domain)</script></body></html>"
SLOT = "variables.input.files.0.file"


async def submit(graph, variables, files):
    status, body = await post_multipart(
        graph,
        SUBMIT_APPLICATION,
        {"input": variables},
        files,
        pid=graph.pid(documented.HOMEOWNER),
    )
    assert status == 200, body
    return body


async def assert_nothing_changed(graph):
    assert await submissions(graph, graph.pid(documented.HOMEOWNER), kinds=["APPLICATION"]) == []
    assert "CreateCase" not in await graph.calls("p360")


@pytest.mark.parametrize(
    ("name", "content_type", "data"),
    [
        # The case: a PNG signature with an HTML page after it.
        ("kart.png", "image/png", b"\x89PNG\r\n\x1a\n" + HTML),
        # A whole PNG, a JPEG or a PDF with HTML after its end.
        ("kart.png", "image/png", upload_samples.png() + HTML),
        ("kart.jpg", "image/jpeg", upload_samples.jpeg() + HTML),
        ("kart.pdf", "application/pdf", upload_samples.pdf() + HTML),
        # A PNG declared as a JPEG.
        ("kart.jpg", "image/jpeg", upload_samples.png()),
    ],
)
async def test_type_confusion_uploads_are_refused(graph, name, content_type, data):
    result = await submit(graph, digging(), [(SLOT, name, content_type, data)])
    assert codes(result, MUTATION) == {("files.0", "ATTACHMENT_TYPE_MISMATCH")}
    await assert_nothing_changed(graph)


@pytest.mark.gateway(upload_max_application_bytes=60 * 1024)
async def test_attachments_over_the_archives_document_limit_together_are_refused(graph):
    # Each file is under the per-file limit; together they exceed what 360 takes per document.
    big = upload_samples.noise_pdf(40)
    other = upload_samples.noise_pdf(40, seed=2)
    assert 40 * 1024 < len(big) < 60 * 1024
    variables = digging(
        files=[{"attachment": "map", "file": None}, {"attachment": "traffic_plan", "file": None}]
    )
    files = [
        (SLOT, "kart.pdf", "application/pdf", big),
        ("variables.input.files.1.file", "plan.pdf", "application/pdf", other),
    ]
    assert codes(await submit(graph, variables, files), MUTATION) == {
        ("files", "APPLICATION_TOO_LARGE")
    }
    await assert_nothing_changed(graph)
