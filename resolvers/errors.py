"""Back-office failures as typed GraphQL errors that cost only the failing system's fields.

Each connector call goes through :func:`from_source` (dataloaders: through
:meth:`resolvers.loaders.RequestLoader.call`); a failure becomes a :class:`SourceError`
(``extensions.code`` + ``extensions.source``) on that field, which is then ``null`` while the
rest of the response is served with HTTP 200.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

from graphql import GraphQLError

from connectors.errors import (
    ConnectorError,
    MalformedResponse,
    NotFound,
    SystemTimeout,
    SystemUnavailable,
)
from kernel.errors import ErrorCode
from resolvers.sources import SYSTEM_NAMES, SourceTracker

T = TypeVar("T")


class SourceError(GraphQLError):
    """A back-office system failed; only the fields it feeds are missing."""

    def __init__(self, system: str, code: ErrorCode, message: str) -> None:
        super().__init__(message, extensions={"code": code.value, "source": system.upper()})
        self.system = system
        self.code = code

    def fresh(self) -> SourceError:
        """A new instance of this error, one per field it fails (see resolvers.loaders)."""
        return SourceError(self.system, self.code, self.message)


def source_error(system: str, error: ConnectorError) -> SourceError:
    """The GraphQL error a connector failure becomes (no back-office detail leaks)."""
    name = SYSTEM_NAMES.get(system, system)
    if isinstance(error, SystemTimeout):
        return SourceError(system, ErrorCode.SOURCE_TIMEOUT, f"{name} did not answer in time")
    if isinstance(error, SystemUnavailable):
        return SourceError(system, ErrorCode.SOURCE_UNAVAILABLE, f"{name} is unavailable")
    if isinstance(error, MalformedResponse):
        return SourceError(
            system, ErrorCode.SOURCE_ERROR, f"{name} answered with an unreadable reply"
        )
    return SourceError(system, ErrorCode.SOURCE_ERROR, f"{name} answered with an error")


async def from_source(tracker: SourceTracker, system: str, call: Awaitable[T]) -> T:
    """Await a connector call for `system`, recording the outcome and typing its failure.

    :class:`NotFound` passes through unchanged: callers decide whether "missing" is ``null``.
    """
    future = asyncio.ensure_future(call)
    tracker.started(future)  # type: ignore[arg-type]
    try:
        result = await future
    except NotFound:
        tracker.succeeded(system)
        raise
    except ConnectorError as error:
        tracker.failed(system, error)
        raise source_error(system, error) from None
    tracker.succeeded(system)
    return result
