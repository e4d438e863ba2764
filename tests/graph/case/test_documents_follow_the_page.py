"""Documents are fetched for the cases on the page only, with the same answer as person-wide."""

from __future__ import annotations

from simulators.population import documented
from tests.graph.case.queries import FULL


def _nodes(result):
    assert "errors" not in result, result
    return result["data"]["viewer"]["cases"]["nodes"]


def _without_download_urls(value):
    # A download URL carries a fresh encrypted token each time it is rendered.
    if isinstance(value, dict):
        return {k: _without_download_urls(v) for k, v in value.items() if k != "downloadUrl"}
    if isinstance(value, list):
        return [_without_download_urls(v) for v in value]
    return value


async def test_a_page_of_5_asks_documents_for_those_5_cases_only(graph):
    pid = graph.pid(documented.MANY_CASES)
    await graph.reset()
    page = _nodes(await graph.query(FULL, {"first": 5}, pid=pid))
    calls = await graph.calls("p360")
    assert len(page) == 5
    # GetDocumentsQuery takes one CaseNumber: one call per case of the page, none for the
    # other 115 cases and no person-wide read.
    assert calls == {"GetCases": 1, "GetDocuments": 5}

    # Same answer as when every document of the person is read (a page of 100 of 120).
    everything = _nodes(await graph.query(FULL, {"first": 100}, pid=pid))
    assert _without_download_urls(page) == _without_download_urls(everything[:5])
    assert any(node["documents"] for node in page)


async def test_a_page_covering_most_cases_reads_person_wide_once(graph):
    await graph.reset()
    _nodes(await graph.query(FULL, {"first": 100}, pid=graph.pid(documented.MANY_CASES)))
    assert await graph.calls("p360") == {"GetCases": 1, "GetDocuments": 1}


async def test_a_cases_documents_are_read_as_naming_the_viewer(graph):
    # With several parties on a case, "its documents" depends on who asks; the per-case read
    # asks for those naming the viewer, like the person-wide read and the download check.
    from connectors.p360.client import P360Client
    from connectors.registry import open_connectors
    from connectors.session import open_session
    from resolvers.document_visibility import load_document_visibility

    rule = load_document_visibility(graph.stack.settings.document_visibility_file)
    owner = graph.pid(documented.MANY_CASES)
    someone_else = graph.pid(documented.HOMEOWNER)
    (case,) = _nodes(await graph.query(FULL, {"first": 1}, pid=owner))
    async with open_session() as session:
        p360 = open_connectors(graph.stack.settings, session).get(P360Client)
        mine = await p360.documents_for_cases([case["caseNumber"]], contact=owner)
        theirs = await p360.documents_for_cases([case["caseNumber"]], contact=someone_else)
    shown = rule.visible(mine[0])  # the citizen sees what the visibility rule allows
    assert [d.document_number for d in shown] == [d["documentNumber"] for d in case["documents"]]
    assert mine[0] and theirs == [[]]
