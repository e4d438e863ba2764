"""The `minside` command line: `minside <command> [options]`.

Each command lives in its own module under :mod:`minside.commands` and registers itself through a
``register(subparsers)`` function; add a module name to ``COMMAND_MODULES`` to add a command.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from kernel.settings import SettingsError

COMMAND_MODULES: tuple[str, ...] = (
    "minside.commands.serve",
    "minside.commands.demo",
    "minside.commands.simulators",
    "minside.commands.export_schema",
    "minside.commands.bench",
    "minside.commands.settings",
    "minside.commands.migrate",
    "minside.commands.purge",
    "minside.commands.population",
    "minside.commands.dev_token",
    "minside.commands.idporten",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="minside", description="Min side GraphQL gateway and its local stack."
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `minside` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result = args.handler(args)
    except SettingsError as exc:
        print(f"minside: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
