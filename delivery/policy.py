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
NotFound, PermanentDeliveryError                 (``below_last_reading: ...``) for the receipt.
any other exception (a bug)            retry     a fix and a restart may deliver it; logged
=====================================  ========  ==============================================

Retries wait a jittered, capped exponential back-off (:class:`BackoffPolicy`) and go on forever
unless ``max_age`` is set: a record still failing transiently that long after it was accepted
is rejected with ``gave_up: <last error>``, so the citizen is told instead of waiting forever.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Final, Literal

from connectors.errors import ConnectorError, NotFound, Rejected
from connectors.fees.errors import IdempotencyConflict
from delivery.handlers import PermanentDeliveryError

__all__ = ["BackoffPolicy", "Verdict", "classify"]

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


def classify(exc: Exception) -> Verdict:
    """Sort a delivery failure into retry or reject (see the module docstring)."""
    if isinstance(exc, PermanentDeliveryError):
        return Verdict("reject", f"{exc.code}: {exc}")
    if isinstance(exc, Rejected | IdempotencyConflict):
        code = exc.code or (
            "idempotency_conflict" if isinstance(exc, IdempotencyConflict) else "rejected"
        )
        return Verdict("reject", f"{code}: {exc.message or exc.operation}")
    if isinstance(exc, NotFound):
        return Verdict("reject", f"not_found: {exc.message or exc.operation}")
    if isinstance(exc, ConnectorError):
        return Verdict("retry", f"{type(exc).__name__}: {exc}")
    # A bug: only the class name, since an arbitrary message may quote the payload.
    return Verdict("retry", f"internal_error: {type(exc).__name__}")
