"""`minside bench`: the benchmark whose figures the README quotes."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    from bench.run import add_arguments, run

    parser = subparsers.add_parser(
        "bench", help="measure batching, parallelism and throughput of the dashboard query"
    )
    add_arguments(parser)
    parser.set_defaults(handler=run)
