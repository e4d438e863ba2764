"""The Matrikkel connector's exceptions: the shared tree with ``system="matrikkel"``."""

from __future__ import annotations

from connectors.errors import ConnectorError

SYSTEM = "matrikkel"


class MatrikkelError(ConnectorError):
    """Base of Matrikkel-specific errors."""

    system = SYSTEM
