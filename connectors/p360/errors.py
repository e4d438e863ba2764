"""Public 360 failures mapped onto the shared connector exception tree.

SIF reports most failures inside a normal reply (``Successful=false`` with ``ErrorMessage`` and
``ErrorDetails``) rather than as SOAP faults; :func:`raise_for_result` turns those into
:class:`~connectors.errors.NotFound`, :class:`~connectors.errors.Rejected` or
:class:`~connectors.errors.RemoteFault`. Remote messages can quote what was asked for (a
fødselsnummer, say), so every number long enough to be one is masked before it becomes part of
an exception message.
"""

from __future__ import annotations

import re
from typing import Any, Final

from connectors.errors import (
    ConnectorError,
    MalformedResponse,
    NotFound,
    Rejected,
    RemoteFault,
)

__all__ = ["SYSTEM", "P360Error", "raise_for_result", "scrub"]

SYSTEM: Final = "p360"

# Any run of 11+ digits could be a fødselsnummer (possibly with a space after the birth date).
_PID_LIKE: Final = re.compile(r"\d{6}\s?\d{5}\d*")
_NOT_FOUND: Final = re.compile(r"not\s*found|notfound|finnes ikke|ikke funnet|does not exist", re.I)
_VALIDATION: Final = re.compile(r"validation|invalid|required|ugyldig|mangler|påkrevd", re.I)
_MAX_MESSAGE: Final = 200


class P360Error(ConnectorError):
    """Base for errors raised by the Public 360 connector itself (``system="p360"``)."""

    system = SYSTEM


def scrub(text: str | None) -> str:
    """A remote message made safe for logs: pid-like numbers masked, length capped."""
    if not text:
        return ""
    masked = _PID_LIKE.sub("[redacted]", " ".join(text.split()))
    return masked[:_MAX_MESSAGE]


def _code_of(details: str | None) -> str | None:
    """The exception/type name SIF puts first in ``ErrorDetails`` (``"ValidationException"``)."""
    if not details:
        return None
    head = re.split(r"[\s:]", details.strip(), maxsplit=1)[0]
    return scrub(head.rsplit(".", 1)[-1]) or None


def raise_for_result(result: Any, operation: str, *, write: bool) -> None:
    """Raise the matching connector error when a SIF result says it failed.

    Missing objects become :class:`NotFound` (also on writes: a document for a case that does
    not exist will never succeed, and NotFound is not transient, so nothing retries it);
    validation failures of writes become :class:`Rejected`; anything else is a
    :class:`RemoteFault` with the remote error type as ``code``.
    """
    if result is None:
        raise MalformedResponse("empty result", system=SYSTEM, operation=operation)
    successful = getattr(result, "Successful", None)
    if successful is True:
        return
    if successful is None:
        raise MalformedResponse("result without Successful", system=SYSTEM, operation=operation)
    message = scrub(getattr(result, "ErrorMessage", None)) or "Successful=false"
    details: str | None = getattr(result, "ErrorDetails", None)
    code = _code_of(details)
    both = f"{message} {details or ''}"
    if _NOT_FOUND.search(both):
        raise NotFound(message, system=SYSTEM, operation=operation)
    if write and _VALIDATION.search(both):
        raise Rejected(message, system=SYSTEM, operation=operation, code=code)
    raise RemoteFault(message, system=SYSTEM, operation=operation, code=code)
