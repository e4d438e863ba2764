"""Min side's web page in a real browser: Debian's chromium driven by Playwright.

One back office and gateway (:func:`web_stack`) and one browser (:func:`chromium`) for the
session; each test gets a fresh browser context (no cookies) and a clean back office (the
simulators reset to their seed, faults cleared). The page is used as a citizen uses it:
through the gateway's login, the ID-porten stand-in's person picker and the page's own forms.

Without the browser (or the ``playwright`` package) the tests are skipped with a message saying
how to install it; under ``CI=true`` they fail instead, as the store tests do.
``MINSIDE_SCREENSHOTS=docs/screenshots`` makes the section test write the README's pictures.
"""

from __future__ import annotations

import functools
import os
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from pydantic import SecretStr

from kernel.settings import Settings
from kernel.systems import SYSTEM_NAMES
from minside.stack import RunningStack, running_stack
from tests.environment import isolated_environment
from tests.node_modules_path import node_modules
from tests.services import IN_CI
from tests.simulator_admin import SimulatorAdmin

CHROMIUM = os.environ.get("MINSIDE_TEST_CHROMIUM", "/usr/bin/chromium")
# Headless and quiet: nothing may reach for the network (updates, sync, QUIC probes).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEZONE = "Europe/Oslo"  # the browser's clock, as a citizen's
HOW_TO_INSTALL = (
    "install Debian's chromium (`sudo apt-get install chromium`, or `make browser` as root) "
    "and `make` (the playwright package); MINSIDE_TEST_CHROMIUM names another binary"
)
WEB_SETTINGS: dict[str, Any] = {
    **{f"{name}_deadline_s": 20.0 for name in SYSTEM_NAMES},
    "system_retries": 0,
    "breaker_failure_threshold": 50,
    "delivery_backoff_max_s": 2.0,
    "secret_key": SecretStr("browser-tests-secret-" + "b" * 32),
    # Public 360's reads expire at once (and are kept): a page loaded again while it is down
    # is served the kept copy, marked STALE in viewer.sources, as on a day the cache is old.
    "cache_ttl_s": {
        name: 0.0 for name in ("p360.cases", "p360.documents", "p360.case_documents", "p360.person")
    },
}


def _unavailable(reason: str) -> None:
    message = f"{reason}; {HOW_TO_INSTALL}"
    if IN_CI:
        pytest.fail(f"{message} (CI=true: the browser tests must run)")
    pytest.skip(message)


@functools.cache
def axe_source() -> str:
    """axe-core's script, from the ``.venv/node`` that `make` installs."""
    modules = node_modules("MINSIDE_TEST_NODE_MODULES")
    script = modules / "axe-core" / "axe.min.js" if modules is not None else None
    if script is None or not script.is_file():
        message = "axe-core is not installed (run `make`, which installs tests/node with npm)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return script.read_text()


@pytest.fixture(scope="session")
async def chromium() -> AsyncIterator[Any]:
    """One headless chromium for the whole session."""
    if shutil.which(CHROMIUM) is None:
        _unavailable(f"no browser at {CHROMIUM}")
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        _unavailable("the playwright package is not installed")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


@pytest.fixture(scope="session")
async def web_stack(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[RunningStack]:
    """Stand-in, simulators and a gateway serving the page, for the whole session."""
    home = tmp_path_factory.mktemp("web-stack")
    with isolated_environment(home):
        settings = Settings(**WEB_SETTINGS, outbox_url=f"sqlite:///{home / 'outbox.sqlite3'}")
    async with running_stack(settings) as stack:
        yield stack


@dataclass
class Web:
    """What a test drives: the stack, an admin client of the simulators and a fresh page."""

    stack: RunningStack
    http: aiohttp.ClientSession
    page: Any
    errors: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.stack.gateway_url

    @property
    def admin(self) -> SimulatorAdmin:
        return SimulatorAdmin(self.http, self.stack.urls)

    def pid(self, index: int) -> str:
        return self.stack.population.person(index).pid

    async def login(self, index: int, lang: str = "nb") -> None:
        """From the logged-out page through ID-porten's person picker back to Min side."""
        page = self.page
        await page.goto(f"{self.url}/?lang={lang}")
        await page.locator("a.button").click()
        await page.locator(f"input[name=standin_pid][value='{self.pid(index)}']").check()
        await page.locator("button[value=login]").click()
        await page.wait_for_url(f"{self.url}/?lang={lang}")
        await self.loaded()

    async def loaded(self) -> None:
        """Wait until every part of the page's first query has arrived."""
        await self.page.locator("body[data-loaded=true]").wait_for()

    async def api(self, index: int, query: str, variables: dict[str, Any]) -> Any:
        """The same request straight to the API with a bearer token (to compare answers)."""
        headers = {"Authorization": f"Bearer {self.stack.token(self.pid(index))}"}
        async with self.http.post(
            f"{self.url}/graphql",
            json={"query": query, "variables": variables},
            headers=headers,
        ) as response:
            return await response.json()

    async def axe(self, context: str = "document") -> list[dict[str, Any]]:
        """axe-core's WCAG 2.1 A/AA violations on the page as it is now."""
        if not await self.page.evaluate("typeof axe !== 'undefined'"):
            await self.page.evaluate(axe_source())  # by DevTools: the page's CSP is not bent
        result: list[dict[str, Any]] = await self.page.evaluate(
            """async (context) => {
                const tags = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];
                const r = await axe.run(context === "document" ? document : context,
                                        { runOnly: { type: "tag", values: tags } });
                return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ")) }));
            }""",
            context,
        )
        return result

    async def assert_accessible(self) -> None:
        """0 serious or critical WCAG 2.1 AA violations (axe-core)."""
        violations = await self.axe()
        bad = [v for v in violations if v["impact"] in ("serious", "critical")]
        assert bad == [], bad


@pytest.fixture
async def web(chromium: Any, web_stack: RunningStack) -> AsyncIterator[Web]:
    """A fresh browser context (no cookies), the back office back at its seed."""
    # No kept-alive connections: a test outlasts the simulators' keep-alive, and a request on
    # a connection the server has just closed would fail with a reset.
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as http:
        admin = SimulatorAdmin(http, web_stack.urls)
        await admin.reset(SYSTEM_NAMES)
        context = await chromium.new_context(
            viewport={"width": 1280, "height": 900},
            locale="nb-NO",
            timezone_id=TIMEZONE,
            accept_downloads=True,
        )
        page = await context.new_page()
        web = Web(web_stack, http, page)
        page.on("pageerror", lambda error: web.errors.append(str(error)))
        try:
            yield web
        finally:
            await context.close()
            await admin.reset(SYSTEM_NAMES)
        assert web.errors == [], web.errors  # no script error on any page


# Read at import, before the autouse fixture hides the developer's MINSIDE_* variables.
_SCREENSHOTS = os.environ.get("MINSIDE_SCREENSHOTS")
SCREENSHOTS: Path | None = Path(_SCREENSHOTS).resolve() if _SCREENSHOTS else None
