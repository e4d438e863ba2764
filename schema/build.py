"""Assemble the strawberry schema with its extensions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types import ExecutionContext

from schema.access_log.reads import record_reads
from schema.cost import LimitCosts
from schema.document_cache import CachedDocuments, DocumentCache
from schema.error_codes import ValidationErrorCodes, fill_error_codes
from schema.introspection import NoIntrospection
from schema.observe import MaskInternalErrors, RecordOperation, log_errors
from schema.query import Query
from schema.scopes import install_scopes
from schema.submission.inputs import SCALARS
from schema.submission.mutation import Mutation
from schema.submission.types import ApplicationReceipt, MeterReadingReceipt

MAX_TOKENS = 5000


class MinsideSchema(strawberry.Schema):
    """Strawberry's schema with the gateway's logging of GraphQL errors.

    Strawberry logs every error with a traceback; here a request's client mistakes are one INFO
    line, its back-office failures one WARNING line per system and only a fault of the gateway
    an ERROR with its traceback, all at a bounded rate (:func:`schema.observe.log_errors`).

    ``document_cache`` holds its parsed and validated documents (:mod:`schema.document_cache`;
    set by :func:`build_schema`).
    """

    document_cache: DocumentCache

    def get_extensions(self, sync: bool = False) -> list[SchemaExtension]:
        # Always, whatever the extensions given: the validation step's errors get their code.
        return [*super().get_extensions(sync), ValidationErrorCodes()]

    def process_errors(
        self,
        errors: list[GraphQLError],
        execution_context: ExecutionContext | None = None,
    ) -> None:
        operation: str | None = None
        if execution_context is not None:
            try:
                operation = execution_context.operation_name
            except Exception:  # a document that did not parse has no name
                operation = None
        fill_error_codes(errors)  # codes and clean messages, before they are logged and sent
        log_errors(errors, operation)


class EarlyDeferredExecution(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's executor with graphql-core's early execution of deferred fragments.

    By default graphql-core starts a deferred fragment only once the initial payload is
    complete, which puts the slow Matrikkel chain *after* Public 360 and Visma instead of
    beside them: the last part would come later than the whole answer without ``@defer``.
    Early execution starts deferred work at once and still sends it after the initial part.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Set after the constructor: graphql-core passes it positionally from build().
        self.enable_early_execution = True


def build_schema(
    max_depth: int = 12,
    limit_costs: Callable[[], LimitCosts] = LimitCosts,
    *,
    introspection: bool = True,
) -> MinsideSchema:
    """The gateway's schema; a document cache bounded by bytes, depth and size limited.

    ``@defer`` and ``@stream`` are on (graphql-core's incremental execution): a page can have
    its fast fields at once and the slow Matrikkel chain in a later part of a multipart/mixed
    response. A query without them executes and answers exactly as before.

    ``limit_costs`` makes the extension that measures each operation and refuses it over the
    cost limits (:class:`LimitCosts`; the gateway's subclass also charges its rate limits).

    ``introspection=False`` refuses ``__schema`` and ``__type`` (:mod:`schema.introspection`).
    """
    # The depth rule is built once: QueryDepthLimiter makes a new rule class per instance,
    # and the validation cache is keyed by the rule classes, so a per-request limiter would
    # make every validation a cache miss (seen in a profile of the benchmark).
    rules = QueryDepthLimiter(max_depth=max_depth).validation_rules
    if not introspection:
        rules = [*rules, NoIntrospection]
    cache = DocumentCache()
    schema = MinsideSchema(
        query=Query,
        mutation=Mutation,
        # Listed by Citizen.submissions through their interface only.
        types=[MeterReadingReceipt, ApplicationReceipt],
        config=StrawberryConfig(enable_experimental_incremental_execution=True, scalar_map=SCALARS),
        execution_context_class=EarlyDeferredExecution,
        # Factories, so each request gets fresh extension instances. The document cache is the
        # schema's own, shared by its requests, and bounded by bytes (strawberry's ParserCache
        # and ValidationCache are bounded by entries: 256 queries of 1 MB stayed in memory).
        extensions=[
            lambda: CachedDocuments(cache),
            lambda: AddValidationRules(rules),
            lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
            # Over the cost, alias or field limit: refused before execution (schema.cost).
            limit_costs,
            # Unexpected errors reach the client as INTERNAL with the request id only.
            lambda: MaskInternalErrors(),
            # The operation's name and outcome for /metrics and the trace (gateway.observe).
            lambda: RecordOperation(),
        ],
    )
    schema.document_cache = cache
    # Partner portals: the fields outside a client's scopes answer FORBIDDEN_FOR_CLIENT; the
    # scope table is checked against the schema here, so a gap stops start-up.
    install_scopes(schema._schema)
    # Every personal-data object a field hands out goes into the citizen's access log.
    record_reads(schema._schema)
    return schema
