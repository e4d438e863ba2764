"""What every back-office connector is, whatever its transport: :class:`Connector`.

The registry of systems opens each connector through the same constructor
(:data:`ConnectorFactory`) and probes readiness through :meth:`Connector.ping`, without
knowing whether a system speaks SOAP (:class:`connectors.soap_connector.SoapConnector`) or
JSON (:class:`connectors.json_connector.JsonConnector`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, runtime_checkable

import aiohttp

from connectors.resilience import Resilience

__all__ = ["Connector", "ConnectorFactory"]


@runtime_checkable
class Connector(Protocol):
    """A typed client of one back-office system."""

    @property
    def system(self) -> str:
        """The system's registered name (kernel.systems), as in its errors."""
        ...

    async def ping(self) -> None:
        """One cheap authenticated call that touches no personal data, for readiness.

        Returns when the system answers; raises the :mod:`connectors.errors` tree otherwise.
        """
        ...


# How every connector is opened (a connector class is one of these): the app's shared session,
# the system's base URL and HTTP Basic credentials, and the system's Resilience. A connector's
# own tunables come after these and have defaults. Opening loads contracts; it calls no system.
ConnectorFactory = Callable[[aiohttp.ClientSession, str, str, str, Resilience], Connector]
