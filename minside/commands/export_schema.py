"""`minside export-schema`: print the GraphQL SDL (committed as schema.graphql)."""

from __future__ import annotations

import argparse
from typing import Any

from kernel.settings import load_settings
from schema.build import build_schema


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    parser = subparsers.add_parser("export-schema", help="print the GraphQL schema (SDL)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    print(build_schema(max_depth=settings.graphql_max_depth).as_str())
    return 0
