"""`minside demo`: the whole local stack in the foreground (what `make demo` runs)."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from kernel.logs import configure_logging
from kernel.servers import serve_forever
from kernel.settings import load_settings
from minside.stack import demo_specs


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    parser = subparsers.add_parser(
        "demo", help="run the gateway with the simulators and the ID-porten stand-in"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format, settings.service_name)
    specs = demo_specs(settings)
    print("Min side local stack (Ctrl-C stops it):", flush=True)
    for spec in specs:
        print(f"  {spec.name:<22} http://{spec.host}:{spec.port}", flush=True)
    print(f"  GraphiQL               http://{settings.host}:{settings.port}/graphql", flush=True)
    asyncio.run(serve_forever(specs, settings.log_level))
    return 0
