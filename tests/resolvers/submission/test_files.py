"""Upload checks: the bytes must agree with the declared type; names are made archive-safe."""

from __future__ import annotations

import pytest

from resolvers.submission.files import content_matches, safe_file_name
from tests import upload_samples as samples

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


HTML = b"<html><script>alert(document.cookie)</script></html>"


@pytest.mark.parametrize(
    ("media_type", "data", "ok"),
    [
        ("application/pdf", samples.pdf(), True),
        ("image/png", samples.png(), True),
        ("image/jpeg", samples.jpeg(), True),
        ("image/tiff", samples.tiff(), True),
        (DOCX, samples.docx(), True),
        ("text/plain", "Hei på deg".encode(), True),
        # Another type, or only the first bytes of the claimed one.
        ("application/pdf", b"MZ\x90\x00", False),
        ("application/pdf", b"%PDF-1.7\n...", False),
        ("image/png", b"\x89PNG\r\n\x1a\n....", False),
        ("image/jpeg", b"\xff\xd8\xff\xe0", False),
        ("image/jpeg", samples.png(), False),
        ("image/tiff", b"II*\x00", False),
        (DOCX, b"PK\x03\x04", False),
        ("text/plain", b"\xff\xfe\x00", False),
        ("application/x-msdownload", b"MZ", False),
    ],
)
def test_content_matches(media_type, data, ok):
    assert content_matches(media_type, data) is ok


@pytest.mark.parametrize(
    ("media_type", "whole"),
    [
        ("image/png", samples.png),
        ("image/jpeg", samples.jpeg),
        ("application/pdf", samples.pdf),
    ],
)
def test_a_valid_file_with_html_after_it_is_refused(media_type, whole):
    # A polyglot: a viewer shows the image, a browser sniffing the bytes may run the HTML.
    assert content_matches(media_type, whole())
    assert not content_matches(media_type, whole() + HTML)
    assert not content_matches(media_type, whole() + b"\x00")


def test_a_png_header_with_html_after_it_is_refused():
    # The case: the signature, then an HTML page; the first-bytes check passed it.
    assert not content_matches("image/png", b"\x89PNG\r\n\x1a\n" + HTML)
    header_only = samples.png()[:33]  # signature and IHDR, no image data, no IEND
    assert not content_matches("image/png", header_only + HTML)


def test_html_hidden_inside_a_png_chunk_before_iend_is_refused():
    png = samples.png()
    iend = png.rindex(b"IEND") - 4
    # A made-up chunk with a wrong CRC carrying the HTML, before IEND.
    forged = png[:iend] + len(HTML).to_bytes(4, "big") + b"htMl" + HTML + b"\x00" * 4 + png[iend:]
    assert not content_matches("image/png", forged)


def test_a_truncated_file_is_refused():
    for media_type, whole in (
        ("image/png", samples.png()),
        ("image/jpeg", samples.jpeg()),
        ("application/pdf", samples.pdf()),
    ):
        assert not content_matches(media_type, whole[: len(whole) // 2]), media_type


def test_a_jpeg_with_a_second_image_after_its_eoi_is_refused():
    assert not content_matches("image/jpeg", samples.jpeg() + samples.jpeg())


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("kart.pdf", "kart.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\kari\\Søknad om løyve.pdf", "Søknad om løyve.pdf"),
        ("a\x00b<script>.png", "a_b_script_.png"),
        ("...", "fallback"),
        ("x" * 300 + ".pdf", "x" * 96 + ".pdf"),
    ],
)
def test_safe_file_name(name, expected):
    assert safe_file_name(name, "fallback") == expected
