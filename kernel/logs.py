"""Logging set-up shared by the gateway, the simulators and the stand-in."""

from __future__ import annotations

import logging


def configure_logging(level: str) -> None:
    """Plain, single-line log records on stderr."""
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
