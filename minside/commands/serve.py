"""`minside serve`: the gateway alone, against the configured back-office systems."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from kernel.logs import configure_logging
from kernel.servers import serve_forever
from kernel.settings import load_settings
from minside.stack import gateway_spec


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    parser = subparsers.add_parser("serve", help="run the gateway alone")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format, settings.service_name)
    spec = gateway_spec(settings)
    print(f"gateway  http://{spec.host}:{spec.port}/graphql", flush=True)
    asyncio.run(serve_forever([spec], settings.log_level))
    return 0
