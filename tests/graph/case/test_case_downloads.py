"""GET /files/<token> for case files: streams the PDF to its viewer only; refuses everyone else,
tampered and expired links alike with 404, anonymous requests with 401."""

from __future__ import annotations

import base64
import time

from cryptography.fernet import Fernet

from kernel.server_secret import ServerSecret
from simulators.population import documented

DECISION_FILES = """
{ viewer { cases { nodes { caseNumber decision { documentNumber files { name contentType
  downloadUrl } } } } } }
"""


async def _decision_file(graph):
    """(download URL, file name, the population's file) of person 5's decision letter."""
    result = await graph.query(DECISION_FILES, pid=graph.pid(documented.DECISION))
    assert "errors" not in result, result
    case = next(n for n in result["data"]["viewer"]["cases"]["nodes"] if n["decision"])
    listed = case["decision"]["files"][0]
    population = graph.stack.population
    document = next(
        d
        for c in population.cases_of(graph.pid(documented.DECISION))
        for d in c.documents
        if d.document_number == case["decision"]["documentNumber"]
    )
    file = population.file_by_recno(document.files[0].recno)
    return listed["downloadUrl"], listed["name"], file


async def _get(graph, url, pid=None):
    headers = {"Authorization": f"Bearer {graph.stack.token(pid)}"} if pid else {}
    async with graph.http.get(url, headers=headers) as response:
        return response.status, response.headers, await response.read()


async def test_the_viewer_downloads_the_pdf(graph):
    url, name, file = await _decision_file(graph)
    status, headers, body = await _get(graph, url, graph.pid(documented.DECISION))
    assert status == 200
    assert headers["Content-Type"] == "application/pdf"
    disposition = headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''" in disposition
    ascii_name = name.encode("ascii", "replace").decode().replace("?", "_")
    assert f'filename="{ascii_name}"' in disposition
    assert headers["Cache-Control"] == "no-store"
    assert body.startswith(b"%PDF")
    assert body == file.data
    assert (await graph.calls("p360")).get("GetFileWithMetadata") == 1


async def test_the_url_holds_neither_pid_nor_record_number(graph):
    url, _, file = await _decision_file(graph)
    pid = graph.pid(documented.DECISION)
    token = url.rsplit("/", 1)[1]
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    for secret in (pid, str(file.recno), str(file.document_recno)):
        assert secret not in url
        assert secret.encode() not in raw  # encrypted, not merely encoded


async def test_another_viewer_gets_404(graph):
    url, _, _ = await _decision_file(graph)
    status, _, body = await _get(graph, url, graph.pid(documented.HOMEOWNER))
    assert status == 404
    assert b"%PDF" not in body
    assert (await graph.calls("p360")).get("GetFileWithMetadata", 0) == 0


async def test_a_tampered_link_gets_404(graph):
    url, _, _ = await _decision_file(graph)
    prefix, token = url.rsplit("/", 1)
    middle = len(token) // 2
    flipped = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]
    # (Trailing characters after the base64 padding are ignored by the decoder, so they do not
    # change the link; flipping or cutting a character does.)
    for bad in (flipped, token[:-4], token[:-8] + token[-4:], "not-a-token"):
        status, _, _ = await _get(graph, f"{prefix}/{bad}", graph.pid(documented.DECISION))
        assert status == 404, bad


async def test_anonymous_gets_401(graph):
    url, _, _ = await _decision_file(graph)
    status, _, body = await _get(graph, url)
    assert status == 401
    assert b"%PDF" not in body


async def test_an_expired_link_gets_404(graph):
    url, _, _ = await _decision_file(graph)
    prefix, token = url.rsplit("/", 1)
    # The same link content, minted with the gateway's own key one TTL (plus a minute) ago.
    fernet = Fernet(ServerSecret.from_settings(graph.stack.settings).fernet_key("file-links"))
    payload = fernet.decrypt(token.encode())
    ttl = graph.stack.settings.file_link_ttl_s
    old = fernet.encrypt_at_time(payload, int(time.time()) - ttl - 60).decode()
    fresh = fernet.encrypt_at_time(payload, int(time.time()) - 5).decode()
    pid = graph.pid(documented.DECISION)
    assert (await _get(graph, f"{prefix}/{old}", pid))[0] == 404
    assert (await _get(graph, f"{prefix}/{fresh}", pid))[0] == 200  # only the age differs


async def test_p360_down_while_downloading_is_503_with_the_source(graph):
    url, _, _ = await _decision_file(graph)
    await graph.fault("p360", operation="GetFileWithMetadata", outage=True)
    status, headers, body = await _get(graph, url, graph.pid(documented.DECISION))
    assert status == 503
    assert b"P360" in body
    assert headers["Retry-After"] == "30"


async def test_a_genuine_link_to_a_file_no_longer_on_the_viewers_cases_gets_404(graph):
    # Ownership is checked on every download, not only when the link was made: a link that is
    # genuine and bound to this viewer, but to a file of someone else's case (as after a party
    # was removed from a case in the archive), is refused like a missing file.
    from kernel.file_links import FileKind, FileLinks, FileRef

    settings = graph.stack.settings
    secret = ServerSecret.from_settings(settings)
    links = FileLinks(secret, settings.file_link_ttl_s)
    pid = graph.pid(documented.DECISION)
    others = graph.stack.population.cases_of(graph.pid(documented.HOMEOWNER))
    foreign = next(f for c in others for d in c.documents for f in d.files)
    path = links.url(
        FileRef(FileKind.CASE_FILE, str(foreign.recno), secret.viewer_key(pid), "x.pdf")
    )
    base = str(settings.public_url).rstrip("/")
    status, _, _ = await _get(graph, base + path, pid)
    assert status == 404
    assert (await graph.calls("p360")).get("GetFileWithMetadata", 0) == 0
