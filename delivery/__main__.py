"""``python -m delivery``: a process that only delivers the outbox (settings from MINSIDE_*)."""

from __future__ import annotations

import asyncio
import logging

from delivery.runner import run_standalone
from minside.settings import load_settings


def main() -> None:
    """Read the settings and deliver until interrupted."""
    settings = load_settings()
    logging.basicConfig(level=settings.log_level)
    asyncio.run(run_standalone(settings))


if __name__ == "__main__":
    main()
