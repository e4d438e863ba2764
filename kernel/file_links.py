"""Short-lived, viewer-bound download links for files and invoice PDFs.

A link is ``/files/<token>``. The token is a Fernet token (AES-CBC + HMAC, from the
``cryptography`` package): encrypted, so no back-office record number or fødselsnummer is
readable in the URL; authenticated, so it cannot be forged or edited; time-stamped, so it expires.
It names the viewer's pseudonym, and the download only works for that same logged-in viewer:
a shared link is useless to anyone else.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import Enum

from cryptography.fernet import Fernet, InvalidToken

from kernel.server_secret import ServerSecret

# Fernet tokens are canonical urlsafe base64; anything else (e.g. extra characters after the
# padding, which a lenient decoder would ignore) is refused so one link has one URL.
_TOKEN = re.compile(r"[A-Za-z0-9_-]+={0,2}")


class FileKind(Enum):
    """What a link points at, and so which back-office system serves the bytes."""

    CASE_FILE = "p360-file"
    INVOICE_PDF = "visma-invoice-pdf"


@dataclass(frozen=True)
class FileRef:
    """The decrypted content of a link."""

    kind: FileKind
    ref: str  # the back-office key (file recno, invoice number): never shown in clear
    viewer_key: str
    name: str  # file name for Content-Disposition


class FileLinkError(Exception):
    """The token is not one of ours, was tampered with, or has expired."""


class FileLinks:
    """Mints and opens download tokens."""

    def __init__(self, secret: ServerSecret, ttl_s: int, path_prefix: str = "/files/") -> None:
        self._fernet = Fernet(secret.fernet_key("file-links"))
        self._ttl_s = ttl_s
        self._prefix = path_prefix

    def url(self, ref: FileRef) -> str:
        """The gateway-relative URL of a download link for `ref`."""
        payload = {"k": ref.kind.value, "r": ref.ref, "v": ref.viewer_key, "n": ref.name}
        token = self._fernet.encrypt(json.dumps(payload, separators=(",", ":")).encode())
        return self._prefix + token.decode()

    def open(self, token: str) -> FileRef:
        """The link's content; :class:`FileLinkError` when invalid or expired."""
        if len(token) % 4 or len(token) > 4096 or not _TOKEN.fullmatch(token):
            raise FileLinkError("invalid or expired link")
        try:
            raw = self._fernet.decrypt(token.encode(), ttl=self._ttl_s)
            payload = json.loads(raw)
            return FileRef(FileKind(payload["k"]), payload["r"], payload["v"], payload["n"])
        except (InvalidToken, ValueError, KeyError, TypeError):
            raise FileLinkError("invalid or expired link") from None
