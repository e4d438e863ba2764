"""`minside demo`: the whole local stack in the foreground (what `make demo` runs)."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from kernel.logs import configure_logging
from kernel.servers import serve_forever
from kernel.settings import load_settings
from minside.stack import demo_settings, demo_specs, external_issuer


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
    issuer = external_issuer(settings)
    if issuer is not None:
        print(f"  {'ID-porten':<22} {issuer} (MINSIDE_IDPORTEN_ISSUER; no stand-in)", flush=True)
    gateway = demo_settings(settings)
    if gateway.web_page_enabled:
        print(f"  {'Min side (web page)':<22} http://{settings.host}:{settings.port}/", flush=True)
    if gateway.graphiql_enabled:
        graphiql = f"http://{settings.host}:{settings.port}/graphql"
        print(f"  {'GraphiQL':<22} {graphiql}", flush=True)
    asyncio.run(serve_forever(specs, settings.log_level))
    return 0
