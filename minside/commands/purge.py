"""`minside purge`: apply the retention settings to every store with personal data, then exit.

The delivery workers run the same purge every ``MINSIDE_PURGE_INTERVAL_S``; this command
is for a cron job where no worker runs, or to purge now after shortening a retention period.
It opens the configured outbox (PostgreSQL when ``MINSIDE_DATABASE_URL`` is set, else the SQLite
file), runs :func:`stores.retention.purge_all` and prints what each store let go of (counts only).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from auth.redaction import redact
from kernel.settings import Settings, load_settings
from stores import open_outbox
from stores.retention import purge_all, purges


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    parser = subparsers.add_parser(
        "purge",
        help="drop personal data and delete old records as the retention settings say, and exit",
    )
    parser.set_defaults(handler=run)


async def _purge(settings: Settings) -> dict[str, Mapping[str, int]]:
    outbox = await open_outbox(settings)
    try:
        return await purge_all(purges(settings, outbox), datetime.now(UTC))
    finally:
        await outbox.close()


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    try:
        done = asyncio.run(_purge(settings))
    except Exception as exc:  # an unreachable database, a locked file
        print(f"minside purge: {redact(str(exc))}", file=sys.stderr)
        return 1
    for store, counts in done.items():
        print(store + ": " + ", ".join(f"{name} {count}" for name, count in counts.items()))
    return 0
