"""Uploaded attachments: what the mutation hands over, and the content checks on them.

The declared content type of an upload is the client's claim; the first bytes must agree with
it (a PDF starts with ``%PDF-``, a PNG with its signature, ...), so an executable renamed to
``.pdf`` is refused before it reaches the archive.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Final

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


def content_matches(media_type: str, data: bytes) -> bool:
    """Whether ``data`` looks like ``media_type`` (text must be UTF-8 without NUL bytes)."""
    if media_type == "text/plain":
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return False
        return "\x00" not in text
    signatures = _SIGNATURES.get(media_type)
    return signatures is not None and data.startswith(signatures)


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
