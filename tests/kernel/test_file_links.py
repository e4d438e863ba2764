import pytest

from kernel.file_links import FileKind, FileLinkError, FileLinks, FileRef
from kernel.server_secret import ServerSecret

SECRET = ServerSecret("x" * 40)


def test_round_trip_and_opaque():
    links = FileLinks(SECRET, ttl_s=60)
    ref = FileRef(FileKind.CASE_FILE, "123456", "viewer-key", "vedtak.pdf")
    url = links.url(ref)
    assert url.startswith("/files/")
    assert "123456" not in url and "viewer-key" not in url
    assert links.open(url.removeprefix("/files/")) == ref


@pytest.mark.parametrize("suffix", ["AAAA", "=", "\n", "A"])
def test_one_link_has_one_url(suffix):
    links = FileLinks(SECRET, ttl_s=60)
    token = links.url(FileRef(FileKind.INVOICE_PDF, "1", "v", "f.pdf")).removeprefix("/files/")
    with pytest.raises(FileLinkError):
        links.open(token + suffix)


def test_other_secret_cannot_open():
    token = FileLinks(SECRET, 60).url(FileRef(FileKind.CASE_FILE, "1", "v", "n"))
    with pytest.raises(FileLinkError):
        FileLinks(ServerSecret("y" * 40), 60).open(token.removeprefix("/files/"))
