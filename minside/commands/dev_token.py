"""`minside dev-token`: print an access token from the running ID-porten stand-in.

The token is minted by the stand-in itself (``POST /_admin/tokens``, loopback callers only), so it
is signed with the key the stand-in publishes in its JWKS right now, rotation included, and the
gateway accepts it exactly like one from a browser login. The pid travels in the JSON body, never
in a URL.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

import aiohttp

from idporten_standin.config import ACR_VALUES, LOA_SUBSTANTIAL
from idporten_standin.spec import DEV_API_SCOPE, standin_issuer
from kernel.settings import load_settings


class DevTokenError(Exception):
    """The stand-in could not be reached or refused the request."""


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add the ``dev-token`` command."""
    parser = subparsers.add_parser(
        "dev-token", help="print an access token for a synthetic person from the local stand-in"
    )
    parser.add_argument("--pid", required=True, help="the synthetic person's fødselsnummer")
    parser.add_argument(
        "--acr",
        default=LOA_SUBSTANTIAL,
        choices=ACR_VALUES,
        help="level of assurance (default: %(default)s)",
    )
    parser.add_argument("--scope", default=DEV_API_SCOPE, help="scope (default: %(default)s)")
    parser.add_argument(
        "--aud", default=None, help="audience (as if the client had asked with resource=AUD)"
    )
    parser.add_argument(
        "--client",
        "--client-id",
        dest="client_id",
        default=None,
        metavar="CLIENT_ID",
        help="client the token is issued to, e.g. a partner portal of MINSIDE_PARTNERS_FILE "
        "(default: the gateway's own)",
    )
    parser.add_argument(
        "--lifetime",
        type=int,
        default=None,
        metavar="SECONDS",
        help="token lifetime (default: the stand-in's access token lifetime)",
    )
    parser.add_argument(
        "--issuer",
        default=None,
        help="stand-in URL (default: http://127.0.0.1:MINSIDE_IDPORTEN_STANDIN_PORT)",
    )
    parser.set_defaults(handler=run)


async def request_dev_token(
    issuer: str,
    pid: str,
    *,
    acr: str = LOA_SUBSTANTIAL,
    scope: str = DEV_API_SCOPE,
    aud: str | None = None,
    client_id: str | None = None,
    lifetime_s: int | None = None,
    timeout_s: float = 10.0,
) -> str:
    """Ask the running stand-in at `issuer` for an access token; raise :class:`DevTokenError`."""
    body: dict[str, Any] = {"pid": pid, "acr": acr, "scope": scope}
    if aud:
        body["aud"] = aud
    if client_id:
        body["client_id"] = client_id
    if lifetime_s is not None:
        body["lifetime_s"] = lifetime_s
    url = f"{issuer.rstrip('/')}/_admin/tokens"
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.post(url, json=body) as response,
        ):
            payload = await response.json(content_type=None)
            status = response.status
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        raise DevTokenError(
            f"no ID-porten stand-in answered at {issuer} ({type(exc).__name__}); "
            "start it with 'minside demo' or 'minside idporten'"
        ) from None
    if status != 200 or not isinstance(payload, dict) or "access_token" not in payload:
        detail = payload.get("error_description") if isinstance(payload, dict) else None
        raise DevTokenError(f"the stand-in refused the request ({status}): {detail or payload}")
    return str(payload["access_token"])


def run(args: argparse.Namespace) -> int:
    """Print the token on stdout (and nothing else, for `$(minside dev-token ...)`)."""
    issuer = args.issuer or standin_issuer(load_settings())
    try:
        token = asyncio.run(
            request_dev_token(
                issuer,
                args.pid,
                acr=args.acr,
                scope=args.scope,
                aud=args.aud,
                client_id=args.client_id,
                lifetime_s=args.lifetime,
            )
        )
    except DevTokenError as exc:
        print(f"minside dev-token: {exc}", file=sys.stderr)
        return 1
    print(token)
    return 0
