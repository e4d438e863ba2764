"""The connector exception tree shared by every back-office connector.

Resolvers only ever see these classes, so they can tell "the system is down"
(:class:`SystemUnavailable`, :class:`SystemTimeout`) apart from "the system
said no" (:class:`RemoteFault`, :class:`NotFound`, :class:`Rejected`) without
knowing which transport a connector uses.

Messages must never contain personal data (no fødselsnummer, no request body):
they are logged and may surface in ``/readyz``. Put identifiers needed for
debugging in the cause chain of an internal exception, never in the message.
"""

from __future__ import annotations

__all__ = [
    "CircuitOpen",
    "ConnectorError",
    "GatewayTimeout",
    "LoopBusyTimeout",
    "MalformedResponse",
    "NotFound",
    "Rejected",
    "RemoteFault",
    "RequestBudgetSpent",
    "SlotWaitTimeout",
    "SystemTimeout",
    "SystemUnavailable",
]


class ConnectorError(Exception):
    """Base of every error a connector raises.

    ``system`` is the name of the back-office system (as registered in kernel.systems)
    and ``operation`` the remote operation. Both can be given per instance or
    fixed as class attributes by a connector's own subclass, e.g.
    ``class MatrikkelError(ConnectorError): system = "matrikkel"``.
    """

    system: str = "unknown"
    operation: str = "unknown"

    def __init__(
        self,
        message: str = "",
        *,
        system: str | None = None,
        operation: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if system is not None:
            self.system = system
        if operation is not None:
            self.operation = operation

    def __str__(self) -> str:
        text = f"{self.system}.{self.operation}"
        return f"{text}: {self.message}" if self.message else text

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, system={self.system!r}, "
            f"operation={self.operation!r})"
        )


class SystemUnavailable(ConnectorError):
    """The system could not be reached: refused, reset, HTTP 502/503/504, outage.

    Transient: idempotent calls are retried and the circuit breaker counts it.
    """


class CircuitOpen(SystemUnavailable):
    """The circuit breaker is open: the call failed fast without reaching the system.

    A :class:`SystemUnavailable` so callers degrade the same way, but never
    retried (retrying would defeat the breaker) and never counted again.
    """


class SystemTimeout(ConnectorError):
    """The system did not answer within the per-attempt deadline.

    Transient: idempotent calls are retried and the circuit breaker counts it.
    """


class RemoteFault(ConnectorError):
    """The system answered with an error (SOAP fault, ``Successful=false``, HTTP 4xx/500).

    ``code`` is the remote error code (fault code, detail element name, HTTP
    status) when there is one. The system is alive, so the breaker does not
    count it and it is never retried.
    """

    def __init__(
        self,
        message: str = "",
        *,
        system: str | None = None,
        operation: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message, system=system, operation=operation)
        self.code = code

    def __str__(self) -> str:
        text = super().__str__()
        return f"{text} [code={self.code}]" if self.code is not None else text

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, system={self.system!r}, "
            f"operation={self.operation!r}, code={self.code!r})"
        )


class Rejected(RemoteFault):
    """The system permanently rejected a write (back-office validation failed)."""


class MalformedResponse(ConnectorError):
    """The answer could not be parsed (bad XML/JSON) or had the wrong shape."""


class NotFound(ConnectorError):
    """The asked-for object does not exist in the system."""


class GatewayTimeout(SystemTimeout):
    """The call ran out of time for the gateway's own reasons, not the system's.

    A :class:`SystemTimeout` so callers degrade the same way (the field is null with
    ``SOURCE_TIMEOUT``), but the system was never given its whole deadline: the circuit
    breaker does not count it and it is never retried.
    """


class SlotWaitTimeout(GatewayTimeout):
    """The call's deadline passed while it waited for one of the system's concurrency slots,
    or after such a wait left the system less than its whole deadline to answer."""


class RequestBudgetSpent(GatewayTimeout):
    """The request's overall time budget ran out before the system answered
    (:mod:`connectors.budget`)."""


class LoopBusyTimeout(GatewayTimeout):
    """The deadline's timer ran late because the gateway's event loop was busy (CPU-bound):
    an answer may have been waiting unread, so the system is not to blame."""
