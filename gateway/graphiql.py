"""GraphiQL served from the gateway itself, so it works without internet access, and without
keeping or taking what it should not.

strawberry's page loads React and GraphiQL from unpkg.com; the same files (same bytes, so the
page's integrity hashes hold) are vendored in ``gateway/static/graphiql`` and the page is
rewritten to load them from ``/graphiql-assets/``.

The page's own script is rewritten too (:func:`localized_ide_html`, each change checked to
apply, so a new strawberry page fails the tests instead of passing unchanged):

- it does not read ``q``, ``variables`` or ``headers`` from the URL: a link could otherwise
  fill a logged-in developer's editor with a query and an ``Authorization`` header of someone
  else's choosing, one click from running it; nor does it write the query into the URL (where
  browser history and referrers keep it);
- the headers are not persisted (``shouldPersistHeaders: false``, which also hides GraphiQL's
  toggle), and the storage GraphiQL gets never writes nor returns the ``graphiql:headers`` key
  and drops the headers from the saved tabs, history and favourites (GraphiQL's history keeps
  each run's headers whatever ``shouldPersistHeaders`` says): a bearer token pasted into the
  headers editor leaves with the tab, and one an older page saved is removed.

The page's Content-Security-Policy allows this rewritten script by its hash
(:func:`gateway.security_headers.graphiql_csp`).
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

# strawberry's URL parsing, replaced by an empty set of parameters.
_URL_PARAMETERS = """      const parameters = {};

      for (const entry of window.location.search.slice(1).split("&")) {
        const eq = entry.indexOf("=");
        if (eq >= 0) {
          parameters[decodeURIComponent(entry.slice(0, eq))] =
            decodeURIComponent(entry.slice(eq + 1));
        }
      }
"""
_NO_URL_PARAMETERS = """      // Min side: nothing is taken from the URL.
      const parameters = {};
"""
# Storage for GraphiQL: localStorage without the headers (StorageAPI's getItem, setItem,
# removeItem, clear and length), and the headers a former page saved removed.
_HEADERLESS_STORAGE = """      // Min side: headers (a token) are never kept in localStorage:
      // not on their own, nor in the saved tabs, history or favourites.
      const HEADERS_KEY = "graphiql:headers";
      const WITH_HEADERS = ["graphiql:tabState", "graphiql:queries", "graphiql:favorites"];
      function withoutHeaders(key, value) {
        if (!WITH_HEADERS.includes(key) || !value) return value;
        try {
          return JSON.stringify(JSON.parse(value), (name, inner) =>
            name === "headers" ? null : inner,
          );
        } catch (error) {
          return null;
        }
      }
      const headerlessStorage = {
        getItem(key) {
          return key === HEADERS_KEY
            ? null
            : withoutHeaders(key, localStorage.getItem(key));
        },
        setItem(key, value) {
          const kept = key === HEADERS_KEY ? null : withoutHeaders(key, value);
          if (kept === null) localStorage.removeItem(key);
          else localStorage.setItem(key, kept);
        },
        removeItem(key) {
          localStorage.removeItem(key);
        },
        clear() {
          for (const key of Object.keys(localStorage)) {
            if (key.startsWith("graphiql:")) localStorage.removeItem(key);
          }
        },
        get length() {
          return Object.keys(localStorage).filter((key) => key.startsWith("graphiql:"))
            .length;
        },
      };
      // What an earlier page kept goes now.
      localStorage.removeItem(HEADERS_KEY);
      for (const key of WITH_HEADERS) {
        const kept = localStorage.getItem(key);
        if (kept) headerlessStorage.setItem(key, kept);
      }

      function GraphiQLWithExplorer() {"""

# (strawberry's text, its replacement): the script changes of the module doc.
_SCRIPT_CHANGES = (
    (_URL_PARAMETERS, _NO_URL_PARAMETERS),
    ("          updateURL({ q: newQuery });\n", ""),
    ("          updateURL({ variables: newVariables });\n", ""),
    ("      function GraphiQLWithExplorer() {", _HEADERLESS_STORAGE),
    (
        "          shouldPersistHeaders: true,\n",
        "          shouldPersistHeaders: false,\n          storage: headerlessStorage,\n",
    ),
)


class UnexpectedGraphiQLPage(Exception):
    """strawberry's page no longer has a piece :func:`localized_ide_html` rewrites."""


def localized_ide_html(html: str) -> str:
    """strawberry's GraphiQL page with every unpkg.com asset served by the gateway, and its
    script rewritten as the module doc says (:class:`UnexpectedGraphiQLPage` when a piece to
    rewrite is missing: the page would keep the behaviour the rewrite removes)."""
    for old, new in _SCRIPT_CHANGES:
        if html.count(old) != 1:
            raise UnexpectedGraphiQLPage(f"strawberry's GraphiQL page changed: {old.strip()!r}")
        html = html.replace(old, new)
    return html.replace(CDN, ASSETS_PATH + "/")


def cdn_assets(html: str) -> list[str]:
    """The unpkg.com paths a GraphiQL page asks for (to check they are all vendored)."""
    return _CDN_URL.findall(html)


def assets_mount() -> Mount:
    """The static route of the vendored files."""
    return Mount(ASSETS_PATH, app=StaticFiles(directory=ASSETS_DIR), name="graphiql-assets")
