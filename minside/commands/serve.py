"""`minside serve`: the gateway alone, against the configured back-office systems."""

from __future__ import annotations

import argparse
from typing import Any

from auth.config import AuthConfig
from kernel.logs import configure_logging
from kernel.settings import load_settings
from minside.workers import check_workers, serve_workers


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="run the gateway alone (N worker processes with --workers)",
        description="Run the gateway against the configured back-office systems and ID-porten. "
        "More than one worker needs MINSIDE_REDIS_URL (shared sessions and caches).",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="worker processes on the one port (default: MINSIDE_WORKERS, 1)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    workers = settings.workers if args.workers is None else args.workers
    check_workers(settings, workers)  # before anything starts: a clear refusal, exit 2
    AuthConfig.from_settings(settings)  # so is production mode without an audience
    configure_logging(settings.log_level, settings.log_format, settings.service_name)
    plural = "s" if workers > 1 else ""
    print(
        f"gateway  http://{settings.host}:{settings.port}/graphql ({workers} worker{plural})",
        flush=True,
    )
    return serve_workers(settings, workers)
