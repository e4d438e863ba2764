"""`minside simulators`: one simulator per registered back-office system, on its configured port."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from kernel.logs import configure_logging
from kernel.servers import serve_forever
from kernel.settings import load_settings
from minside.stack import simulator_set


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    parser = subparsers.add_parser(
        "simulators", help="run one simulator per registered back-office system"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    # Their log lines must not pass for the gateway's in a shared pipeline.
    configure_logging(settings.log_level, settings.log_format, "minside-simulators")
    simulators = simulator_set(settings)
    print("Back-office simulators (Ctrl-C stops them):", flush=True)
    for spec in simulators.specs:
        print(f"  {spec.name:<22} http://{spec.host}:{spec.port}", flush=True)
    asyncio.run(serve_forever(simulators.specs, settings.log_level))
    return 0
