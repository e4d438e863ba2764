"""How the delivery worker reacts to a failed attempt: retry later (with back-off) or reject.

Classification of the connector error tree (:mod:`connectors.errors`):

=====================================  ========  ==============================================
error                                  verdict   why
=====================================  ========  ==============================================
SystemUnavailable, SystemTimeout,    retry     the system is down or slow; the write carries
CircuitOpen                                      an idempotency key, so repeating it is safe
RemoteFault (not Rejected),            retry     the system answered with an error that is not
MalformedResponse, other                         a verdict on the write (HTTP 500, a SOAP fault,
ConnectorError                                   garbage): usually passing, and whether the
                                                 write happened is unknown, which the key makes
                                                 harmless. A persistent one ends at ``max_age``.
Rejected (incl. HTTP 400/422),         reject    the system said no to this write; it will say
fees IdempotencyConflict (409),                  no again. The reason keeps the remote code
NotFound, PermanentDeliveryError,                (``below_last_reading: ...``) for the receipt.
a SOAP ``Client`` fault (``Sender`` in           A Client fault is the SOAP service saying the
SOAP 1.2, dotted subcodes too),                  request itself is at fault (360 refusing a
HTTP 413 (request too large)                     file over its size limit): the same request
                                                 gets the same fault, however often it is sent.
any other exception (a bug)            retry     a fix and a restart may deliver it; logged
=====================================  ========  ==============================================

Retries wait a jittered, capped exponential back-off (:class:`BackoffPolicy`) until ``max_age``
(``MINSIDE_DELIVERY_MAX_AGE_S``, 7 days by default): a record still failing transiently that long
after it was accepted is rejected with ``gave_up: <last error>``, so the citizen is told instead
of waiting forever.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Final, Literal

from connectors.errors import ConnectorError, NotFound, Rejected, RemoteFault
from connectors.fees.errors import IdempotencyConflict
from connectors.soap import SoapFault
from delivery.handlers import PermanentDeliveryError

__all__ = ["BackoffPolicy", "Verdict", "classify", "is_client_fault"]

# 2**30 × any sane base is far beyond any cap; bounding the exponent avoids float overflow.
_MAX_EXPONENT: Final = 30


@dataclass(frozen=True)
class BackoffPolicy:
    """Delay before attempt ``n + 1`` after ``n`` failed ones: ``cap = min(max_s, base_s ×
    2^(n-1))``, then a uniform pick in ``[cap/2, cap]`` ("equal jitter": never a hot retry,
    and a fleet of workers does not retry in lock-step)."""

    base_s: float = 1.0
    max_s: float = 300.0

    def __post_init__(self) -> None:
        if self.base_s <= 0 or self.max_s < self.base_s:
            raise ValueError("back-off needs 0 < base_s <= max_s")

    def delay_s(self, attempts: int, rng: random.Random) -> float:
        """Seconds to wait after ``attempts`` failed attempts (``attempts >= 1``)."""
        exponent = min(max(attempts - 1, 0), _MAX_EXPONENT)
        cap = min(self.max_s, self.base_s * 2.0**exponent)
        return cap / 2 + rng.uniform(0, cap / 2)


@dataclass(frozen=True)
class Verdict:
    """What to do after a failed attempt, and the short text to store (no personal data)."""

    action: Literal["retry", "reject"]
    reason: str


# RemoteFault codes of HTTP statuses that say "this request, never": too large.
_PERMANENT_HTTP_CODES: Final = frozenset({"http_413"})


def is_client_fault(fault_code: str | None) -> bool:
    """Whether a SOAP faultcode blames the request: ``Client`` (SOAP 1.1) or ``Sender`` (1.2),
    with any prefix (``s:Client``) or dotted subcode (``Client.Validation``)."""
    if not fault_code:
        return False
    local = fault_code.strip().rpartition(":")[2]
    return local.split(".", 1)[0] in ("Client", "Sender")


def classify(exc: Exception) -> Verdict:
    """Sort a delivery failure into retry or reject (see the module docstring)."""
    if isinstance(exc, PermanentDeliveryError):
        return Verdict("reject", f"{exc.code}: {exc}")
    if isinstance(exc, Rejected | IdempotencyConflict):
        code = exc.code or (
            "idempotency_conflict" if isinstance(exc, IdempotencyConflict) else "rejected"
        )
        return Verdict("reject", f"{code}: {exc.message or exc.operation}")
    if isinstance(exc, SoapFault) and is_client_fault(exc.fault_code):
        return Verdict("reject", f"client_fault: {exc.code or 'Client'}: {exc.operation}")
    if isinstance(exc, RemoteFault) and exc.code in _PERMANENT_HTTP_CODES:
        return Verdict("reject", f"{exc.code}: {exc.operation}")
    if isinstance(exc, NotFound):
        return Verdict("reject", f"not_found: {exc.message or exc.operation}")
    if isinstance(exc, ConnectorError):
        return Verdict("retry", f"{type(exc).__name__}: {exc}")
    # A bug: only the class name, since an arbitrary message may quote the payload.
    return Verdict("retry", f"internal_error: {type(exc).__name__}")
