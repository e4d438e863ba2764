"""Upload checks: the bytes must agree with the declared type; names are made archive-safe."""

from __future__ import annotations

import pytest

from resolvers.submission.files import content_matches, safe_file_name


@pytest.mark.parametrize(
    ("media_type", "data", "ok"),
    [
        ("application/pdf", b"%PDF-1.7\n...", True),
        ("application/pdf", b"MZ\x90\x00", False),
        ("image/png", b"\x89PNG\r\n\x1a\n....", True),
        ("image/jpeg", b"\xff\xd8\xff\xe0", True),
        ("image/jpeg", b"\x89PNG\r\n\x1a\n", False),
        ("image/tiff", b"II*\x00", True),
        ("text/plain", "Hei på deg".encode(), True),
        ("text/plain", b"\xff\xfe\x00", False),
        ("application/x-msdownload", b"MZ", False),
    ],
)
def test_content_matches(media_type, data, ok):
    assert content_matches(media_type, data) is ok


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
