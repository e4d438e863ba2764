"""GraphiQL served from the gateway itself, so it works without internet access.

strawberry's page loads React and GraphiQL from unpkg.com; the same files (same bytes, so the
page's integrity hashes hold) are vendored in ``gateway/static/graphiql`` and the page is
rewritten to load them from ``/graphiql-assets/``.
"""

from __future__ import annotations

import re
from pathlib import Path

from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

ASSETS_DIR = Path(__file__).resolve().parent / "static" / "graphiql"
ASSETS_PATH = "/graphiql-assets"
CDN = "https://unpkg.com/"
_CDN_URL = re.compile(r'(?:src|href)="https://unpkg\.com/([^"]+)"')


def localized_ide_html(html: str) -> str:
    """strawberry's GraphiQL page with every unpkg.com asset served by the gateway."""
    return html.replace(CDN, ASSETS_PATH + "/")


def cdn_assets(html: str) -> list[str]:
    """The unpkg.com paths a GraphiQL page asks for (to check they are all vendored)."""
    return _CDN_URL.findall(html)


def assets_mount() -> Mount:
    """The static route of the vendored files."""
    return Mount(ASSETS_PATH, app=StaticFiles(directory=ASSETS_DIR), name="graphiql-assets")
