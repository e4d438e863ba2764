"""Process-wide redaction of JWTs, fødselsnumre and passwords in URLs from log records.

The gateway itself never logs a token or a person, but libraries do: authlib logs whole token
responses at DEBUG, and in the demo the stand-in runs in the same process. A log-record
factory sees every record of every logger before any handler does, so redacting there covers
all of them. Session ids are random strings that cannot be recognised; the rule for those is
simply that no code logs them.

The Redis and PostgreSQL URLs are secret settings (they may hold a password) and the gateway
never prints them, but a driver's error or a traceback's locals might: the password of any
``scheme://user:password@host`` or ``password=...`` (libpq's key=value form) is redacted too.
"""

from __future__ import annotations

import logging
import re
from typing import Any

JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
# 11 digits, also written as 6 + 5 with a space, dot or hyphen between (how people type them).
PID = re.compile(r"(?<![0-9])[0-9]{6}[ .-]?[0-9]{5}(?![0-9])")
# scheme://user:password@ → scheme://user:[redacted]@ (the password may hold anything but @,
# whitespace and /: a URL with a literal / in its password is not one a driver would parse).
URL_PASSWORD = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^\s:/@]*:)[^\s/@]+@")
CONNINFO_PASSWORD = re.compile(r"(?i)\b(password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&'\"]+)")
_FORMATTER = logging.Formatter()

_installed = False


def redact(text: str) -> str:
    """``text`` with JWTs, 11-digit numbers (possible fødselsnumre) and passwords in URLs or
    connection strings replaced."""
    text = URL_PASSWORD.sub(r"\1[redacted]@", text)
    text = CONNINFO_PASSWORD.sub(r"\1[redacted]", text)
    return PID.sub("[redacted-pid]", JWT.sub("[redacted-jwt]", text))


def install_log_redaction() -> None:
    """Wrap the log-record factory once per process so every record is redacted."""
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is the logging module's to report
            return record
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        # Tracebacks and stacks are formatted later, by each handler; format them now, cleaned,
        # so the handler uses this text (Formatter.format keeps an existing exc_text). An
        # exception's text can quote a pid (e.g. a GraphQL variable that failed to coerce).
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(_FORMATTER.formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return record

    logging.setLogRecordFactory(factory)
    _installed = True
