"""The fields this domain adds to ``Citizen`` (the type is composed in schema/citizen/types.py)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from resolvers.context import Context
from resolvers.submission.loaders import viewer_submissions
from schema.errors import require_viewer
from schema.submission.types import (
    OUTBOX_KIND,
    OUTBOX_STATUS,
    ApplicationReceipt,
    Submission,
    SubmissionKind,
    SubmissionStatus,
    receipt,
)
from stores.outbox import OutboxKind, OutboxStatus


@strawberry.type
class CitizenSubmissionFields:
    """The citizen's own submissions (meter readings, applications) and their delivery."""

    @strawberry.field(
        description="The citizen's submissions, newest first, optionally only some kinds and "
        "statuses (e.g. statuses: [PENDING] for what is not yet with the municipality). Null, "
        "with a SUBMISSIONS_UNAVAILABLE error, while the gateway's store of submissions does "
        "not answer (the rest of `viewer` is served)."
    )
    async def submissions(
        self,
        info: Info[Context, None],
        kinds: list[SubmissionKind] | None = None,
        statuses: list[SubmissionStatus] | None = None,
    ) -> list[Submission] | None:
        require_viewer(info)
        context = info.context
        records = await viewer_submissions(
            context,
            None if kinds is None else [OUTBOX_KIND[kind] for kind in kinds],
            None if statuses is None else [OUTBOX_STATUS[status] for status in statuses],
        )
        return [
            receipt(record, context.language, context.services.application_types)
            for record in records
        ]

    @strawberry.field(
        description="Applications accepted but not yet filed in the case system (it was "
        "unavailable); each becomes a case in `cases` once delivered. Null, with a "
        "SUBMISSIONS_UNAVAILABLE error, while the gateway's store of submissions does not answer."
    )
    async def pending_applications(
        self, info: Info[Context, None]
    ) -> list[ApplicationReceipt] | None:
        require_viewer(info)
        context = info.context
        records = await viewer_submissions(
            context, [OutboxKind.APPLICATION], [OutboxStatus.PENDING]
        )
        return [
            ApplicationReceipt.from_record(
                record, context.language, context.services.application_types
            )
            for record in records
        ]
