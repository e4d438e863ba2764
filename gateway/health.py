"""Liveness and readiness: is the process alive, and does each dependency answer in time?"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Network, IPv6Network, ip_address
from typing import Protocol

import aiohttp
from starlette.requests import Request
from starlette.responses import JSONResponse, Response


class DependencyCheck(Protocol):
    """Something the gateway depends on: a back-office system, the ID-porten issuer, a store."""

    @property
    def name(self) -> str: ...

    async def check(self) -> None:
        """Return when the dependency answers; raise when it does not."""


@dataclass(frozen=True)
class HttpProbe:
    """A dependency that is up when `url` answers with a status below 500.

    A 401 or 404 still proves the system is there; 5xx and no answer do not.
    """

    name: str
    url: str
    session: aiohttp.ClientSession
    expect_ok: bool = False  # when True, only 2xx counts (e.g. OIDC discovery)

    async def check(self) -> None:
        async with self.session.get(self.url, allow_redirects=False) as response:
            await response.read()
            if response.status >= 500 or (self.expect_ok and not 200 <= response.status < 300):
                raise DependencyDown(f"HTTP {response.status}")


class DependencyDown(Exception):
    """A dependency answered, but not well."""


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one dependency check."""

    name: str
    ok: bool
    latency_ms: float
    error: str | None = None

    def as_json(self) -> dict[str, object]:
        body: dict[str, object] = {
            "status": "ok" if self.ok else "unavailable",
            "latency_ms": round(self.latency_ms, 1),
        }
        if self.error:
            body["error"] = self.error
        return body


async def _run_check(check: DependencyCheck, timeout_s: float) -> CheckResult:
    started = time.perf_counter()
    try:
        async with asyncio.timeout(timeout_s):
            await check.check()
    except TimeoutError:
        error = f"no answer within {timeout_s:g} s"
    except DependencyDown as exc:
        error = str(exc)
    except (aiohttp.ClientError, OSError) as exc:
        error = f"unreachable ({type(exc).__name__})"
    except Exception as exc:  # a broken check must not break /readyz
        error = f"check failed ({type(exc).__name__})"
    else:
        return CheckResult(check.name, True, (time.perf_counter() - started) * 1000)
    return CheckResult(check.name, False, (time.perf_counter() - started) * 1000, error)


async def check_all(checks: Sequence[DependencyCheck], timeout_s: float) -> list[CheckResult]:
    """Run every check concurrently, each under its own deadline."""
    return list(await asyncio.gather(*(_run_check(check, timeout_s) for check in checks)))


class Readiness:
    """``GET /readyz``: 200 when every dependency answered in time, 503 otherwise.

    The body always has ``status`` (``ready`` or ``not ready``). Which dependency failed, how
    and how fast each answered is for operators only, as it maps the gateway's back office:
    :meth:`endpoint` (the public port) adds ``dependencies`` only for a caller in one of the
    ``internal`` networks; :meth:`internal_endpoint` (served on ``MINSIDE_METRICS_PORT``, which
    is not published) always does.
    """

    def __init__(
        self,
        checks: Callable[[], Sequence[DependencyCheck]],
        timeout_s: float,
        internal: Iterable[IPv4Network | IPv6Network] = (),
    ) -> None:
        self.checks = checks
        self.timeout_s = timeout_s
        self.internal = tuple(internal)

    def is_internal(self, request: Request) -> bool:
        """Whether the peer is in one of the internal networks: the address uvicorn reports,
        which is X-Forwarded-For's only behind a proxy it trusts (loopback by default)."""
        if request.client is None or not self.internal:
            return False
        try:
            address = ip_address(request.client.host)
        except ValueError:  # not an IP peer (a Unix socket, a test client's name)
            return False
        return any(address in network for network in self.internal)

    async def endpoint(self, request: Request) -> Response:
        """The public ``/readyz``: the details for internal callers only."""
        return await self._answer(details=self.is_internal(request))

    async def internal_endpoint(self, request: Request) -> Response:
        """``/readyz`` on the internal port: always with the details."""
        return await self._answer(details=True)

    async def _answer(self, *, details: bool) -> Response:
        results = await check_all(self.checks(), self.timeout_s)
        ready = all(result.ok for result in results)
        body: dict[str, object] = {"status": "ready" if ready else "not ready"}
        if details:
            body["dependencies"] = {result.name: result.as_json() for result in results}
        return JSONResponse(body, status_code=200 if ready else 503)
