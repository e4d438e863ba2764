"""`minside migrate`: bring the outbox's schema up to date, then exit.

Runs against the configured outbox: PostgreSQL when ``MINSIDE_DATABASE_URL`` is set, else the
SQLite file of ``MINSIDE_OUTBOX_URL``. Production runs it once per deployment, before the new
version's gateways and workers start (they migrate at start too, which is then a no-op; two
processes migrating at once are serialized by an advisory lock).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from auth.redaction import redact
from kernel.settings import load_settings
from stores import migrate_outbox, outbox_url


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    parser = subparsers.add_parser(
        "migrate", help="apply the outbox's schema migrations (PostgreSQL or SQLite) and exit"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    database_url = settings.database_url.get_secret_value() if settings.database_url else ""
    backend = "PostgreSQL" if database_url else "SQLite"
    try:
        version = asyncio.run(migrate_outbox(settings))
    except Exception as exc:  # a refused (too new) schema or an unreachable database
        # The message only, redacted: the database URL may carry a password, and though
        # psycopg's errors do not quote it, a connection string's syntax error might.
        print(f"minside migrate: {backend} outbox: {redact(str(exc))}", file=sys.stderr)
        return 1
    where = "" if database_url else f", {outbox_url(settings)}"
    print(f"outbox schema ({backend}{where}) is at version {version}")
    return 0
