"""The base of the HTTP/JSON connectors (fees, Visma): :class:`JsonConnector`.

It holds what every JSON client does the same way: the constructor every connector shares
(:class:`connectors.base.ConnectorFactory`), a resilient request whose answer is read with a
:class:`~connectors.shapes.ShapeReader`, a batch lookup that asks each key once in the
system's batch size, and ``ping`` against the service's health endpoint. A client adds its
operations and its models.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from typing import Any, TypeVar

import aiohttp

from connectors.batching import fetch_aligned
from connectors.errors import RemoteFault
from connectors.http import JsonHttp, JsonResponse
from connectors.resilience import Resilience
from connectors.shapes import ShapeReader

__all__ = ["DEFAULT_BATCH_SIZE", "JsonConnector"]

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")
V = TypeVar("V")

DEFAULT_BATCH_SIZE = 500
OP_HEALTH = "health"


class JsonConnector:
    """A typed client of one HTTP/JSON back-office system.

    ``session`` is the app's shared :class:`aiohttp.ClientSession`; ``resilience`` is the
    shared policy object of the system (deadline, retries, breaker); ``batch_size`` caps the
    keys of one lookup call. Subclasses name their ``system``.
    """

    system: str
    health_path = "/healthz"

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        username: str,
        password: str,
        resilience: Resilience,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        # A prepared header, not aiohttp.BasicAuth (deprecated in aiohttp 3.14).
        authorization = aiohttp.encode_basic_auth(username, password)
        self._http = JsonHttp(session, base_url, authorization, system=self.system)
        self._resilience = resilience
        self._batch_size = batch_size

    async def ping(self) -> None:
        """Check that the service answers (for readiness); raises the connector errors."""
        await self._request(OP_HEALTH, "GET", self.health_path, _ignore, idempotent=True)

    async def _request(
        self,
        operation: str,
        method: str,
        path: str,
        parse: Callable[[ShapeReader, JsonResponse], T],
        *,
        idempotent: bool,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        fault_types: Mapping[int, type[RemoteFault]] | None = None,
    ) -> T:
        """One resilient JSON request; ``parse`` reads the 2xx answer into models.

        Only ``idempotent`` requests are retried; a write is sent once (its caller repeats it
        with the same idempotency key). ``fault_types`` are the operation's own readings of
        statuses (:func:`connectors.failures.status_error`).
        """

        async def attempt() -> T:
            response = await self._http.request_json(
                operation,
                method,
                path,
                body=body,
                headers=headers,
                fault_types=fault_types,
                idempotent=idempotent,
            )
            return parse(ShapeReader(self.system, operation), response)

        return await self._resilience.call(operation, attempt, idempotent=idempotent)

    async def _lookup(
        self,
        keys: Sequence[K],
        fetch: Callable[[list[K]], Awaitable[Mapping[K, V | None]]],
        *,
        askable: Callable[[K], bool] | None = None,
    ) -> list[V | None]:
        """Answers aligned with ``keys``: each distinct key once, ``batch_size`` per call.

        See :func:`connectors.batching.fetch_aligned`; each ``fetch`` is one resilient request.
        """
        return await fetch_aligned(keys, fetch, batch_size=self._batch_size, askable=askable)


def _ignore(_reader: ShapeReader, _response: JsonResponse) -> None:
    return None
