"""``Citizen.accessLog``: who read the citizen's data (the type is composed in
schema/citizen/types.py)."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError
from strawberry.types import Info

from kernel.errors import ErrorCode
from resolvers.context import Context
from schema.access_log.types import AccessLogEntry, AccessLogFilter, criteria_of
from schema.errors import require_viewer
from schema.relay import BadUserInput, Connection, Edge, First, PageInfo, check_page_size
from stores.access_log import AccessCursor, AccessLogUnavailable


class MinSideOnly(GraphQLError):
    """The field is Min side's own: a partner portal's token may not read it."""

    def __init__(self) -> None:
        super().__init__(
            "Only Min side itself can read the citizen's access log",
            extensions={"code": ErrorCode.FORBIDDEN.value},
        )


class AccessLogUnavailableError(GraphQLError):
    """The store of the access log did not answer."""

    def __init__(self) -> None:
        super().__init__(
            "The access log cannot be read right now; try again shortly",
            extensions={"code": ErrorCode.ACCESS_LOG_UNAVAILABLE.value},
        )


@strawberry.type
class CitizenAccessLogFields:
    """Innsynslogg: who read the citizen's data through this API."""

    @strawberry.field(
        description="Who read the citizen's data, newest first: one entry per request and kind "
        "of data (properties, cases, documents, invoices, downloads), with the client (Min "
        "side or a partner portal) and the objects read. Kept for a limited time (18 months by "
        "default). Reading the access log is not itself logged. Only Min side itself can read "
        "it (FORBIDDEN for a partner's token); null with ACCESS_LOG_UNAVAILABLE when its store "
        "does not answer."
    )
    async def access_log(
        self,
        info: Info[Context, None],
        first: First = None,
        after: str | None = None,
        filter: AccessLogFilter | None = None,
    ) -> Connection[AccessLogEntry] | None:
        viewer = require_viewer(info)
        context = info.context
        recorder = context.services.access_log
        if viewer.client.is_partner:
            raise MinSideOnly()
        size = check_page_size(first)
        position = None
        if after is not None:
            position = AccessCursor.decode(after)
            if position is None:
                raise BadUserInput("after is not a cursor from this connection", "after")
        criteria = criteria_of(filter)
        # This process's reads just before this one are in the log too (the wait is bounded;
        # other processes' entries appear once their writers flush).
        await recorder.caught_up()
        try:
            page = await recorder.store.page(context.viewer_key(viewer), criteria, size, position)
        except AccessLogUnavailable:
            raise AccessLogUnavailableError() from None
        edges = [
            Edge(
                cursor=entry.cursor.encode(),
                node=AccessLogEntry.from_entry(entry, recorder.clients, context.language),
            )
            for entry in page.entries
        ]
        return Connection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next_page,
                has_previous_page=after is not None,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
            total_count=page.total_count,
        )
