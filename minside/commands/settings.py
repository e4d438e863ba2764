"""`minside settings`: print the configuration table (the README's, generated)."""

from __future__ import annotations

import argparse
from typing import Any

from minside.settings_doc import markdown_table


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    parser = subparsers.add_parser("settings", help="print every setting with its default")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    print(markdown_table())
    return 0
