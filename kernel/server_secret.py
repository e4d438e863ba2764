"""The server secret and what is derived from it: viewer pseudonyms and link encryption keys.

One secret (``MINSIDE_SECRET_KEY``) is stretched into independent keys per purpose, so a key
that leaks for one purpose says nothing about another.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from kernel.settings import PROJECT_ROOT, Settings, SettingsError

DEFAULT_SECRET_FILE = PROJECT_ROOT / "var" / "secret_key"
MIN_SECRET_LENGTH = 32


def _from_file(path: Path) -> str:
    # Development default: generated once, kept beside the embedded stores so restarts keep
    # pseudonyms and links valid. Production sets MINSIDE_SECRET_KEY for every process.
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process (a worker starting beside us) made it first
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


class ServerSecret:
    """Keys derived from the server secret, one per purpose."""

    def __init__(self, secret: str) -> None:
        if len(secret) < MIN_SECRET_LENGTH:
            raise SettingsError(
                f"MINSIDE_SECRET_KEY: must be at least {MIN_SECRET_LENGTH} characters"
            )
        self._secret = secret.encode()

    @classmethod
    def from_settings(
        cls, settings: Settings, default_file: Path = DEFAULT_SECRET_FILE
    ) -> ServerSecret:
        if settings.secret_key is not None:
            return cls(settings.secret_key.get_secret_value())
        return cls(_from_file(default_file))

    def derive(self, purpose: str) -> bytes:
        """32 bytes for `purpose`, independent of every other purpose's."""
        return hmac.new(self._secret, purpose.encode(), hashlib.sha256).digest()

    def fernet_key(self, purpose: str) -> bytes:
        """A Fernet key (urlsafe base64 of 32 bytes) for `purpose`."""
        return base64.urlsafe_b64encode(self.derive(purpose))

    def viewer_key(self, pid: str) -> str:
        """A stable pseudonym of a fødselsnummer: stores and links use it, never the pid."""
        digest = hmac.new(self.derive("viewer-key"), pid.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:18]).decode()

    def __repr__(self) -> str:
        return "ServerSecret(**********)"
