"""Uploaded attachments: what the mutation hands over, and the content checks on them.

The declared content type of an upload is the client's claim. The *whole* file must be a valid
file of that type, not only its first bytes: a PNG with an HTML page after its header (a
polyglot a browser may sniff as HTML) or a renamed executable is refused before it reaches the
outbox or the archive. :func:`content_matches` checks, per type:

- PNG: Pillow's ``verify()`` walks every chunk (CRCs checked) up to ``IEND``, and nothing may
  follow ``IEND``;
- JPEG: Pillow must read the header, and the marker structure runs from SOI through every
  segment and scan to one EOI at the very end (Pillow's own ``verify()`` checks nothing for JPEG,
  and decoding the pixels would cost tens of MB per photo);
- TIFF: Pillow's ``verify()`` and every frame's header;
- PDF: pypdf parses the cross-reference table and the page tree (strictly), and only whitespace
  may follow the last ``%%EOF``;
- DOCX: a ZIP whose members' CRCs check out and that holds ``word/document.xml``;
- text: UTF-8 without NUL bytes.
"""

from __future__ import annotations

import hashlib
import io
import re
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from PIL import Image, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import PyPdfError

__all__ = ["UploadedFile", "content_matches", "safe_file_name"]

_SIGNATURES: Final[dict[str, tuple[bytes, ...]]] = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/tiff": (b"II*\x00", b"MM\x00*"),
    # A .docx is a ZIP container.
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (b"PK\x03\x04",),
}
_UNSAFE = re.compile(r"[^\w.\- ()]+", re.UNICODE)
MAX_NAME_LENGTH: Final = 100


@dataclass(frozen=True)
class UploadedFile:
    """One uploaded file, read up to the gateway's cap.

    ``data`` holds at most ``cap + 1`` bytes; ``size`` is the real size when the server knows
    it (a size beyond the cap is refused without reading the rest).
    """

    attachment: str
    name: str
    content_type: str
    size: int
    data: bytes = field(repr=False)

    @property
    def media_type(self) -> str:
        """The content type without parameters, lower case."""
        return self.content_type.split(";", 1)[0].strip().lower()

    @property
    def sha256(self) -> str:
        """Hex SHA-256 of the content (what the fingerprint and the form PDF use)."""
        return hashlib.sha256(self.data).hexdigest()


# Pillow's errors for a file that is not what it claims (DecompressionBombError included).
_IMAGE_ERRORS: Final = (
    OSError,
    ValueError,
    SyntaxError,
    EOFError,
    UnidentifiedImageError,
    Image.DecompressionBombError,
)
_PNG_IEND: Final = b"\x00\x00\x00\x00IEND\xaeB`\x82"
# JPEG markers without a length field: SOI, EOI, RST0-7, TEM.
_JPEG_STANDALONE: Final = frozenset({0xD8, 0xD9, 0x01, *range(0xD0, 0xD8)})


def _open_image(data: bytes, expected: str) -> Image.Image | None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        image = Image.open(io.BytesIO(data), formats=[expected])
    return image if image.format == expected else None


def _is_png(data: bytes) -> bool:
    stream = io.BytesIO(data)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        image = Image.open(stream, formats=["PNG"])
        image.verify()  # every chunk's CRC, up to IEND (left just after the IEND tag)
    # IEND is a fixed 12-byte chunk: its CRC is all that may follow the tag verify() stopped at.
    end = stream.tell() + 4
    return end == len(data) and data[end - 12 : end] == _PNG_IEND


def _jpeg_structure_ends_at_eoi(data: bytes) -> bool:
    """SOI, then length-prefixed segments; each SOS is followed by entropy-coded data (where
    0xFF is stuffed as FF00 or is a restart marker) up to the next marker; one EOI, last."""
    if not data.startswith(b"\xff\xd8"):
        return False
    position, size = 2, len(data)
    while position + 1 < size:
        if data[position] != 0xFF:
            return False
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte before a marker
            position += 1
            continue
        if marker == 0xD9:  # EOI: it must be the last thing in the file
            return position + 2 == size
        if marker in _JPEG_STANDALONE:
            position += 2
            continue
        if position + 4 > size:
            return False
        length = int.from_bytes(data[position + 2 : position + 4], "big")
        if length < 2:
            return False
        position += 2 + length
        if marker == 0xDA:  # SOS: skip the scan's entropy-coded data
            while True:
                position = data.find(b"\xff", position)
                if position < 0 or position + 1 >= size:
                    return False
                following = data[position + 1]
                if following == 0x00 or 0xD0 <= following <= 0xD7:
                    position += 2
                    continue
                break
    return False


def _is_jpeg(data: bytes) -> bool:
    image = _open_image(data, "JPEG")
    return image is not None and _jpeg_structure_ends_at_eoi(data)


def _is_tiff(data: bytes) -> bool:
    image = _open_image(data, "TIFF")
    if image is None:
        return False
    for frame in range(getattr(image, "n_frames", 1)):
        image.seek(frame)
    image = _open_image(data, "TIFF")
    if image is None:
        return False
    image.verify()
    return True


def _is_pdf(data: bytes) -> bool:
    if not data.startswith(b"%PDF-") or not data.rstrip().endswith(b"%%EOF"):
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pypdf warns on recoverable oddities; strict raises
        reader = PdfReader(io.BytesIO(data), strict=True)
        return len(reader.pages) > 0


def _is_docx(data: bytes) -> bool:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        if "word/document.xml" not in archive.namelist():
            return False
        return archive.testzip() is None


def _is_text(data: bytes) -> bool:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return "\x00" not in text


_CHECKS: Final[dict[str, Callable[[bytes], bool]]] = {
    "application/pdf": _is_pdf,
    "image/png": _is_png,
    "image/jpeg": _is_jpeg,
    "image/tiff": _is_tiff,
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": _is_docx,
    "text/plain": _is_text,
}


def content_matches(media_type: str, data: bytes) -> bool:
    """Whether the whole of ``data`` is a valid file of ``media_type`` (see the module
    docstring); False for a type without a check."""
    check = _CHECKS.get(media_type)
    if check is None:
        return False
    signatures = _SIGNATURES.get(media_type)
    if signatures is not None and not data.startswith(signatures):
        return False  # cheap first: most mismatches are refused without parsing anything
    try:
        return check(data)
    except (*_IMAGE_ERRORS, PyPdfError, zipfile.BadZipFile, KeyError, RecursionError):
        return False


def safe_file_name(name: str, fallback: str) -> str:
    """A file name fit for the archive: no path, no control or odd characters, not too long."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = _UNSAFE.sub("_", base).strip(" .")
    if not cleaned:
        return fallback
    if len(cleaned) <= MAX_NAME_LENGTH:
        return cleaned
    stem, dot, extension = cleaned.rpartition(".")
    if dot and len(extension) <= 10:
        return stem[: MAX_NAME_LENGTH - len(extension) - 1] + "." + extension
    return cleaned[:MAX_NAME_LENGTH]
