"""submitApplication over the real stack: the catalogue, every rule (alone and together), upload
limits, the level of assurance, replay/conflict, and an application followed from submission to
its case in viewer.cases and the decision a case officer files."""

from __future__ import annotations

import pytest

from schema.relay import global_id
from simulators.population import documented
from tests import upload_samples
from tests.graph.submission.helpers import (
    JPEG,
    PDF,
    PNG,
    SUBMIT_APPLICATION,
    codes,
    digging,
    post_multipart,
    receipt,
    submissions,
    wait_until,
)

MUTATION = "submitApplication"
CATALOGUE = """
{ applicationTypes { code name description caseKind minimumLevelOfAssurance propertyRequired
    fields { key label type required maxLength minimum maximum options { value label } }
    attachments { key label required contentTypes maxBytes maxFiles } } }
"""
CASES = """
{ viewer { cases(first: 100) { nodes { caseNumber title status
    documents { title files { name } } decision { title } } } } }
"""


MAP = ("variables.input.files.0.file", "kart.pdf", "application/pdf", PDF)


async def submit(graph, variables, files=(MAP,), pid=None, acr="idporten-loa-substantial"):
    status, body = await post_multipart(
        graph,
        SUBMIT_APPLICATION,
        {"input": variables},
        list(files),
        pid=pid or graph.pid(documented.HOMEOWNER),
        acr=acr,
    )
    assert status == 200, body
    return body


def property_id(graph, index=documented.HOMEOWNER):
    population = graph.stack.population
    owned = population.properties_of(graph.pid(index))[0]
    return global_id("Property", owned.property.matrikkelnummer)


async def test_catalogue_in_the_requests_language(graph):
    nb = await graph.query(CATALOGUE)
    en = await graph.query(CATALOGUE, headers={"Accept-Language": "en"})
    types = {t["code"]: t for t in nb["data"]["applicationTypes"]}
    assert set(types) == {"SLAMTOMMING", "REDUSERT_GEBYR", "VANNMALERBYTTE", "GRAVETILLATELSE"}
    assert types["GRAVETILLATELSE"]["name"] == "Søknad om gravetillatelse"
    assert en["data"]["applicationTypes"][3]["name"] == "Application for a digging permit"
    assert types["REDUSERT_GEBYR"]["minimumLevelOfAssurance"] == "HIGH"
    assert types["SLAMTOMMING"]["caseKind"] == "WATER_SEWAGE_WASTE"
    tank = next(f for f in types["SLAMTOMMING"]["fields"] if f["key"] == "tank_kind")
    assert tank["type"] == "CHOICE" and tank["options"][0] == {
        "value": "SEPTIC_TANK",
        "label": "Slamavskiller",
    }
    (map_kind, plan) = types["GRAVETILLATELSE"]["attachments"]
    assert map_kind["required"] and not plan["required"]
    assert plan["contentTypes"] == ["application/pdf"]


@pytest.mark.gateway(cache="off")  # changes a system behind the cache
async def test_application_is_filed_and_followed_to_its_decision(graph):
    pid = graph.pid(documented.HOMEOWNER)
    answer = receipt(await submit(graph, digging()), MUTATION)
    assert answer["status"] == "DELIVERED"
    assert answer["title"] == "Søknad om gravetillatelse"
    case_number = answer["caseNumber"]
    assert case_number

    # The case is in viewer.cases at once, with the form PDF first and the attachment after.
    cases = (await graph.query(CASES, pid=pid))["data"]["viewer"]["cases"]["nodes"]
    case = next(c for c in cases if c["caseNumber"] == case_number)
    assert case["title"] == "Søknad om gravetillatelse"
    assert case["decision"] is None
    (document,) = case["documents"]
    assert [f["name"] for f in document["files"]] == ["gravetillatelse-skjema.pdf", "kart.pdf"]
    stored = graph.stack.population.case_by_number(case_number)
    form = graph.stack.population.file_by_recno(stored.documents[0].files[0].recno)
    assert form.data.startswith(b"%PDF")
    assert graph.pid(documented.HOMEOWNER).encode() not in form.data

    # A case officer files the decision; the citizen sees it in the next query.
    async with graph.http.post(
        f"{graph.stack.urls['p360']}/_admin/cases/{case_number}/decision",
        json={"title": "Vedtak: gravetillatelse gitt", "outcome": "granted"},
    ) as response:
        assert response.status in (200, 201), await response.text()
    cases = (await graph.query(CASES, pid=pid))["data"]["viewer"]["cases"]["nodes"]
    case = next(c for c in cases if c["caseNumber"] == case_number)
    assert case["decision"]["title"] == "Vedtak: gravetillatelse gitt"

    listed = await submissions(graph, pid, kinds=["APPLICATION"])
    assert [(s["receiptId"], s["caseNumber"]) for s in listed] == [
        (answer["receiptId"], case_number)
    ]


async def test_with_a_property_and_several_attachments(graph):
    variables = {
        "typeCode": "SLAMTOMMING",
        "idempotencyKey": "slam-1",
        "propertyId": property_id(graph),
        "fields": [
            {"key": "desired_date", "value": "2027-05-02"},
            {"key": "tank_kind", "value": "HOLDING_TANK"},
            {"key": "volume_m3", "value": "4,5"},
        ],
        "files": [{"attachment": "photo", "file": None}, {"attachment": "photo", "file": None}],
    }
    files = [
        ("variables.input.files.0.file", "lokk.jpg", "image/jpeg", JPEG),
        ("variables.input.files.1.file", "adkomst.png", "image/png", PNG),
    ]
    answer = receipt(await submit(graph, variables, files), MUTATION)
    assert answer["status"] == "DELIVERED"
    owned = graph.stack.population.properties_of(graph.pid(documented.HOMEOWNER))[0]
    assert answer["matrikkelnummer"] == owned.property.matrikkelnummer
    case = graph.stack.population.case_by_number(answer["caseNumber"])
    assert owned.property.matrikkelnummer in case.title
    names = [f.name for f in case.documents[0].files]
    assert names == ["slamtomming-skjema.pdf", "lokk.jpg", "adkomst.png"]


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"typeCode": "NOPE"}, {("typeCode", "UNKNOWN_TYPE")}),
        ({"idempotencyKey": ""}, {("idempotencyKey", "INVALID_FORMAT")}),
        (
            {"fields": [*digging()["fields"], {"key": "colour", "value": "blå"}]},
            {("fields.colour", "UNKNOWN_FIELD")},
        ),
        (
            {"fields": [*digging()["fields"], {"key": "contractor", "value": "Andre AS"}]},
            {("fields.contractor", "DUPLICATE_FIELD")},
        ),
        ({"fields": digging()["fields"][1:]}, {("fields.location", "REQUIRED")}),
        (
            {"fields": [{"key": "location", "value": "   "}, *digging()["fields"][1:]]},
            {("fields.location", "REQUIRED")},
        ),
        (
            {"fields": [{"key": "location", "value": "x" * 301}, *digging()["fields"][1:]]},
            {("fields.location", "TOO_LONG")},
        ),
        (
            {
                "fields": [
                    *digging()["fields"][:1],
                    {"key": "start_date", "value": "1.3.2027"},
                    *digging()["fields"][2:],
                ]
            },
            {("fields.start_date", "INVALID_FORMAT")},
        ),
        (
            {"fields": [*digging()["fields"][:4], {"key": "road_closed", "value": "kanskje"}]},
            {("fields.road_closed", "INVALID_FORMAT")},
        ),
        ({"propertyId": "bm90LWEtcHJvcGVydHk"}, {("propertyId", "NOT_FOUND")}),
    ],
)
async def test_form_rules_each_alone(graph, overrides, expected):
    result = await submit(graph, digging(**overrides))
    assert codes(result, MUTATION) == expected
    assert "CreateCase" not in await graph.calls("p360")


async def test_number_and_choice_rules(graph):
    variables = {
        "typeCode": "SLAMTOMMING",
        "idempotencyKey": "slam-bad",
        "propertyId": property_id(graph),
        "fields": [
            {"key": "desired_date", "value": "2027-05-02"},
            {"key": "tank_kind", "value": "BUCKET"},
            {"key": "volume_m3", "value": "500"},
        ],
    }
    result = await submit(graph, variables, files=())
    assert codes(result, MUTATION) == {
        ("fields.tank_kind", "INVALID_CHOICE"),
        ("fields.volume_m3", "OUT_OF_RANGE"),
    }
    variables["fields"][1]["value"] = "SEPTIC_TANK"
    # Words, and digits other than ASCII 0-9 (fullwidth, Arabic-Indic) are no NUMBER.
    for text in ("fire", "１２", "١٢"):
        variables["fields"][2]["value"] = text
        assert codes(await submit(graph, variables, files=()), MUTATION) == {
            ("fields.volume_m3", "INVALID_FORMAT")
        }, text
    assert "CreateCase" not in await graph.calls("p360")


async def test_property_rules(graph):
    variables = {
        "typeCode": "SLAMTOMMING",
        "idempotencyKey": "slam-prop",
        "fields": [
            {"key": "desired_date", "value": "2027-05-02"},
            {"key": "tank_kind", "value": "SEPTIC_TANK"},
        ],
    }
    assert codes(await submit(graph, variables, files=()), MUTATION) == {("propertyId", "REQUIRED")}
    # Someone else's property answers exactly like a missing one.
    others = {**variables, "propertyId": property_id(graph, documented.LANDOWNER)}
    assert codes(await submit(graph, others, files=()), MUTATION) == {("propertyId", "NOT_FOUND")}
    assert "CreateCase" not in await graph.calls("p360")


async def test_level_of_assurance(graph):
    variables = {
        "typeCode": "REDUSERT_GEBYR",
        "idempotencyKey": "gebyr-1",
        "propertyId": property_id(graph),
        "fields": [
            {"key": "reason", "value": "LEAK"},
            {"key": "period_from", "value": "2026-01-01"},
            {"key": "explanation", "value": "Lekkasje i kjelleren i januar."},
        ],
        "files": [{"attachment": "documentation", "file": None}],
    }
    files = [("variables.input.files.0.file", "faktura.pdf", "application/pdf", PDF)]
    refused = await submit(graph, variables, files)
    assert codes(refused, MUTATION) == {("typeCode", "INSUFFICIENT_LEVEL_OF_ASSURANCE")}
    answer = receipt(await submit(graph, variables, files, acr="idporten-loa-high"), MUTATION)
    assert answer["status"] == "DELIVERED"


async def test_upload_limits_each_alone(graph):
    big = PDF + b"0" * (10 * 1024 * 1024)
    cases = [
        (
            [("variables.input.files.0.file", "kart.pdf", "application/pdf", big)],
            None,
            ("files.0", "FILE_TOO_LARGE"),
        ),
        (
            [("variables.input.files.0.file", "kart.gif", "image/gif", b"GIF89a....")],
            None,
            ("files.0", "FILE_TYPE_NOT_ALLOWED"),
        ),
        # Declared a PDF, but the bytes are not one.
        (
            [("variables.input.files.0.file", "kart.pdf", "application/pdf", b"MZ\x90\x00exe")],
            None,
            ("files.0", "ATTACHMENT_TYPE_MISMATCH"),
        ),
        (
            [("variables.input.files.0.file", "kart.pdf", "application/pdf", b"")],
            None,
            ("files.0", "EMPTY_FILE"),
        ),
        ([], [], ("files.map", "ATTACHMENT_REQUIRED")),
        (
            [("variables.input.files.0.file", "x.pdf", "application/pdf", PDF)],
            [{"attachment": "selfie", "file": None}],
            ("files.0", "UNKNOWN_ATTACHMENT"),
        ),
    ]
    for files, slots, expected in cases:
        overrides = {} if slots is None else {"files": slots}
        if expected[1] == "UNKNOWN_ATTACHMENT":
            result = await submit(graph, digging(**overrides), files)
            assert codes(result, MUTATION) == {expected, ("files.map", "ATTACHMENT_REQUIRED")}
            continue
        assert codes(await submit(graph, digging(**overrides), files), MUTATION) == {expected}
    # Two maps where one is allowed.
    two = digging(files=[{"attachment": "map", "file": None}, {"attachment": "map", "file": None}])
    files = [MAP, ("variables.input.files.1.file", "kart2.pdf", "application/pdf", PDF)]
    assert codes(await submit(graph, two, files), MUTATION) == {("files.map", "TOO_MANY_FILES")}
    assert "CreateCase" not in await graph.calls("p360")


async def test_several_problems_are_reported_together(graph):
    variables = digging(
        fields=[
            {"key": "location", "value": "x" * 400},
            {"key": "start_date", "value": "snart"},
            {"key": "unknown", "value": "1"},
        ],
        idempotencyKey="",
    )
    files = [("variables.input.files.0.file", "kart.exe", "application/x-msdownload", b"MZ")]
    assert codes(await submit(graph, variables, files), MUTATION) == {
        ("idempotencyKey", "INVALID_FORMAT"),
        ("fields.location", "TOO_LONG"),
        ("fields.start_date", "INVALID_FORMAT"),
        ("fields.unknown", "UNKNOWN_FIELD"),
        ("fields.end_date", "REQUIRED"),
        ("fields.contractor", "REQUIRED"),
        ("fields.road_closed", "REQUIRED"),
        ("files.0", "FILE_TYPE_NOT_ALLOWED"),
    }


async def test_a_request_over_the_global_cap_is_refused_before_reading(graph):
    huge = b"%PDF-" + b"0" * (graph.stack.settings.upload_max_request_bytes + 1)
    status, body = await post_multipart(
        graph,
        SUBMIT_APPLICATION,
        {"input": digging()},
        [("variables.input.files.0.file", "kart.pdf", "application/pdf", huge)],
        pid=graph.pid(documented.HOMEOWNER),
    )
    assert status == 413
    assert body["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"


async def test_replay_and_conflict(graph):
    variables = digging(idempotencyKey="dig-once")
    first = receipt(await submit(graph, variables), MUTATION)
    assert receipt(await submit(graph, variables), MUTATION) == first
    other_pdf = upload_samples.pdf("Et annet kart")
    other_file = [("variables.input.files.0.file", "kart.pdf", "application/pdf", other_pdf)]
    assert codes(await submit(graph, variables, other_file), MUTATION) == {
        ("idempotencyKey", "CONFLICT")
    }
    calls = await graph.calls("p360")
    assert calls["CreateCase"] == 1 and calls["CreateDocument"] == 1


async def test_archive_outage_gives_pending_then_the_case(graph):
    pid = graph.pid(documented.HOMEOWNER)
    await graph.fault("p360", operation="CreateCase", outage=True)
    answer = receipt(await submit(graph, digging()), MUTATION)
    assert answer["status"] == "PENDING" and answer["caseNumber"] is None
    assert [s["receiptId"] for s in await submissions(graph, pid, statuses=["PENDING"])] == [
        answer["receiptId"]
    ]
    # Beside the case list, the application waits as pending.
    pending = "{ viewer { pendingApplications { receiptId status caseNumber } } }"
    listed = (await graph.query(pending, pid=pid))["data"]["viewer"]["pendingApplications"]
    assert listed == [{"receiptId": answer["receiptId"], "status": "PENDING", "caseNumber": None}]
    async with graph.http.delete(f"{graph.stack.urls['p360']}/_admin/faults") as response:
        assert response.status in (200, 204)

    async def delivered():
        (item,) = await submissions(graph, pid, kinds=["APPLICATION"])
        return item["status"] == "DELIVERED" and item

    done = await wait_until(delivered)
    cases = (await graph.query(CASES, pid=pid))["data"]["viewer"]["cases"]["nodes"]
    assert [c["caseNumber"] for c in cases].count(done["caseNumber"]) == 1
    assert (await graph.query(pending, pid=pid))["data"]["viewer"]["pendingApplications"] == []
