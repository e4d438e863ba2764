"""Small, real files of every attachment type the gateway takes (made once, in memory), and the
type-confusion variants of them an attacker would upload."""

from __future__ import annotations

import io
import random
import zipfile
from functools import cache

from fpdf import FPDF
from PIL import Image

__all__ = ["docx", "jpeg", "noise_pdf", "pdf", "png", "tiff"]


def _image(kind: str, size: tuple[int, int] = (8, 8)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format=kind)
    return out.getvalue()


@cache
def png() -> bytes:
    """A whole, valid PNG (8×8)."""
    return _image("PNG")


@cache
def jpeg() -> bytes:
    """A whole, valid JPEG (8×8)."""
    return _image("JPEG")


@cache
def tiff() -> bytes:
    """A whole, valid TIFF (8×8)."""
    return _image("TIFF")


@cache
def pdf(text: str = "Vedlegg") -> bytes:
    """A whole, valid one-page PDF saying ``text`` (another text: another file)."""
    document = FPDF()
    document.add_page()
    document.set_font("helvetica", size=12)
    document.cell(text=text)
    return bytes(document.output())


@cache
def docx() -> bytes:
    """A minimal .docx container (a ZIP with word/document.xml)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


@cache
def noise_pdf(kib: int, seed: int = 1) -> bytes:
    """A valid PDF of at least ``kib`` KiB: one page with an image of random noise (which no
    compression shrinks), so a test can make a file of a given size that is still whole."""
    side = int((kib * 1024 / 3) ** 0.5) + 1
    rng = random.Random(seed)  # noqa: S311 - test data, not secrecy
    noise = Image.frombytes("RGB", (side, side), rng.randbytes(side * side * 3))
    document = FPDF()
    document.add_page()
    document.image(noise, x=10, y=10, w=100)
    return bytes(document.output())
