"""What a citizen may see of a case: letters in and out and decisions, journalført; never an
internal note, a draft still being written, or an entry or file exempt from the party's access
— in a case's documents, by node(id:), or by a download link."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from kernel.file_links import FileKind, FileLinks, FileRef
from kernel.server_secret import ServerSecret
from simulators.population import documented
from tests.graph.case.queries import FULL, NODE


def _id(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _cases(result):
    assert "errors" not in result, result
    return {node["caseNumber"]: node for node in result["data"]["viewer"]["cases"]["nodes"]}


def _without_links(documents):
    # Download links are minted afresh per request; everything else must be the same.
    return [
        {**d, "files": [{k: v for k, v in f.items() if k != "downloadUrl"} for f in d["files"]]}
        for d in documents
    ]


async def test_a_citizen_sees_exactly_the_visible_entries(graph):
    pid = graph.pid(documented.DECISION)
    population = graph.stack.population
    answer = _cases(await graph.query(FULL, pid=pid))
    hidden_kinds = set()
    for case in population.cases_of(pid):
        shown = answer[case.case_number]["documents"]
        visible = [d for d in case.documents if d.is_visible_to_party]
        assert [d["documentNumber"] for d in shown] == [d.document_number for d in visible]
        for document in case.documents:
            if not document.is_visible_to_party:
                hidden_kinds.add((document.direction.value, document.status, document.access_code))
        # Files: the exempt attachment of a shown letter is left out, the rest are there.
        for listed, origin in zip(shown, visible, strict=True):
            names = [f["name"] for f in listed["files"]]
            assert names == [f.name for f in origin.files if not f.is_exempt]
    # The generated cases exercise every part of the rule: internal notes without and with
    # follow-up, unfinished entries (ferdigstilt, reservert, midlertidig), an exempt entry.
    assert {kind[0] for kind in hidden_kinds} >= {"N", "X"}
    assert {kind[1] for kind in hidden_kinds} >= {"F", "R", "S"}
    assert "19" in {kind[2] for kind in hidden_kinds}
    titles = {d["title"] for node in answer.values() for d in node["documents"]}
    assert not titles & {"Saksutredning", "Utkast til vedtak", "Uttalelse om tredjeperson"}
    application = next(node for node in answer.values() if node["kind"] == "APPLICATION")
    attachments = [f["name"] for d in application["documents"] for f in d["files"]]
    assert not any("tredjeperson" in name for name in attachments)


async def test_a_hidden_entry_by_id_answers_like_someone_elses(graph):
    pid = graph.pid(documented.DECISION)
    hidden = [
        d
        for case in graph.stack.population.cases_of(pid)
        for d in case.documents
        if not d.is_visible_to_party
    ]
    assert len(hidden) >= 5
    foreign = graph.stack.population.cases_of(graph.pid(documented.HOMEOWNER))[0].documents[0]
    for document in [*hidden, foreign]:
        refused = await graph.query(
            NODE, {"id": _id(f"Document:{document.document_number}")}, pid=pid
        )
        assert refused["data"] == {"node": None} and "errors" not in refused, document.title
    shown = next(
        d
        for case in graph.stack.population.cases_of(pid)
        for d in case.documents
        if d.is_visible_to_party
    )
    found = await graph.query(NODE, {"id": _id(f"Document:{shown.document_number}")}, pid=pid)
    assert found["data"]["node"]["documentNumber"] == shown.document_number


async def test_the_person_wide_and_per_case_reads_show_the_same_entries(graph):
    # A page of a few cases reads documents case by case, a big page person-wide: both paths
    # apply the rule, so a case shows the same entries (and as many) on either.
    pid = graph.pid(documented.MANY_CASES)
    small = _cases(await graph.query(FULL, {"first": 3}, pid=pid))
    large = _cases(await graph.query(FULL, {"first": 100}, pid=pid))
    assert len(large) == 100
    for number, node in small.items():
        assert _without_links(node["documents"]) == _without_links(large[number]["documents"])
    population = graph.stack.population
    internal = 0
    for case in population.cases_of(pid):
        if case.case_number in large:
            visible = [d.document_number for d in case.documents if d.is_visible_to_party]
            assert [d["documentNumber"] for d in large[case.case_number]["documents"]] == visible
            internal += sum(d.direction.value == "N" for d in case.documents)
            assert all(d["direction"] != "INTERNAL" for d in large[case.case_number]["documents"])
    assert internal > 0  # the generated population has internal notes throughout


async def test_a_genuine_link_to_a_hidden_file_gets_404(graph):
    # Links are only handed out for visible files; one minted for a hidden entry's file (or an
    # exempt attachment) is refused at download like a file of someone else's case.
    settings = graph.stack.settings
    secret = ServerSecret.from_settings(settings)
    links = FileLinks(secret, settings.file_link_ttl_s)
    pid = graph.pid(documented.DECISION)
    cases = graph.stack.population.cases_of(pid)
    hidden = [f for c in cases for d in c.documents if not d.is_visible_to_party for f in d.files]
    exempt = [f for c in cases for d in c.documents for f in d.files if f.is_exempt]
    assert hidden and exempt
    shown = next(
        f
        for c in cases
        for d in c.documents
        if d.is_visible_to_party
        for f in d.files
        if not f.is_exempt
    )
    base = str(settings.public_url).rstrip("/")

    async def get(recno: int) -> int:
        ref = FileRef(FileKind.CASE_FILE, str(recno), secret.viewer_key(pid), "x.pdf")
        headers = {"Authorization": f"Bearer {graph.stack.token(pid)}"}
        async with graph.http.get(base + links.url(ref), headers=headers) as response:
            return response.status

    for file in [*hidden, *exempt]:
        assert await get(file.recno) == 404, file.name
    assert (await graph.calls("p360")).get("GetFileWithMetadata", 0) == 0
    assert await get(shown.recno) == 200


@pytest.mark.gateway(document_visibility_file=Path(__file__).with_name("visibility_notes.toml"))
async def test_the_rule_is_configuration(graph):
    # A deployment that also shows internal notes (category N), ferdigstilt ones included,
    # lists them in its rule file; exemptions and other categories still hold.
    pid = graph.pid(documented.DECISION)
    answer = _cases(await graph.query(FULL, pid=pid))
    for case in graph.stack.population.cases_of(pid):
        expected = [
            d.document_number
            for d in case.documents
            if d.is_visible_to_party or (d.direction.value == "N" and d.status == "F")
        ]
        shown = [d["documentNumber"] for d in answer[case.case_number]["documents"]]
        assert shown == expected
    titles = {d["title"] for node in answer.values() for d in node["documents"]}
    assert "Saksutredning" in titles and "Uttalelse om tredjeperson" not in titles
