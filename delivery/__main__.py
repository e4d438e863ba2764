"""``python -m delivery``: a process that only delivers the outbox (settings from MINSIDE_*)."""

from __future__ import annotations

import asyncio

from auth.redaction import install_log_redaction
from delivery.runner import run_standalone
from kernel.logs import configure_logging
from kernel.settings import load_settings


def main() -> None:
    """Read the settings and deliver until interrupted."""
    settings = load_settings()
    configure_logging(settings.log_level)
    install_log_redaction()  # back-office reasons and tracebacks may quote a person
    asyncio.run(run_standalone(settings))


if __name__ == "__main__":
    main()
