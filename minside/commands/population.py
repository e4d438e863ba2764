"""`minside population`: print the documented test persons of the synthetic population as JSON.

The pids depend on the seed, so this is how a developer finds whom to log in as in the demo.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from kernel.settings import load_settings
from simulators.population import Population


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add the ``population`` command."""
    parser = subparsers.add_parser(
        "population", help="print the documented synthetic test persons (JSON)"
    )
    parser.add_argument(
        "--seed", type=int, default=None, help="population seed (default: MINSIDE_POPULATION_SEED)"
    )
    parser.add_argument(
        "--size", type=int, default=None, help="population size (default: MINSIDE_POPULATION_SIZE)"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Print ``{"seed", "size", "persons": [...]}``."""
    settings = load_settings()
    seed = settings.population_seed if args.seed is None else args.seed
    size = settings.population_size if args.size is None else args.size
    try:
        population = Population(seed=seed, size=size)
    except ValueError as exc:
        print(f"minside population: {exc}", file=sys.stderr)
        return 2
    document = {"seed": seed, "size": size, "persons": population.documented_persons()}
    print(json.dumps(document, ensure_ascii=False, indent=2))
    return 0
