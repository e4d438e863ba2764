"""`minside idporten`: run the local ID-porten stand-in alone on its configured port."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from idporten_standin.spec import standin_spec
from kernel.servers import serve_forever
from kernel.settings import load_settings


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add the ``idporten`` command."""
    parser = subparsers.add_parser(
        "idporten", help="run the local ID-porten stand-in (OIDC provider for test persons)"
    )
    parser.add_argument(
        "--key-file",
        type=Path,
        default=None,
        help="PEM or JWK(S) file with the signing key (default: a new key)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Serve the stand-in until Ctrl-C."""
    settings = load_settings()
    spec = standin_spec(settings, key_file=args.key_file)
    print(f"ID-porten stand-in (Ctrl-C stops it): http://{spec.host}:{spec.port}", flush=True)
    asyncio.run(serve_forever([spec], settings.log_level))
    return 0
