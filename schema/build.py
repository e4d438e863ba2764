"""Assemble the strawberry schema with its extensions."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)

from schema.query import Query
from schema.submission.mutation import Mutation
from schema.submission.types import ApplicationReceipt, MeterReadingReceipt

MAX_TOKENS = 5000


def _is_unexpected(error: GraphQLError) -> bool:
    # Errors raised on purpose carry a code; anything else is a bug or a raw library error,
    # whose text could leak internals, so it is masked.
    original = error.original_error
    if original is None:
        return False
    return not isinstance(original, GraphQLError) and not (error.extensions or {}).get("code")


def build_schema(max_depth: int = 12) -> strawberry.Schema:
    """The gateway's schema; parser and validation caches on, depth and size limited."""
    # The depth rule is built once: QueryDepthLimiter makes a new rule class per instance,
    # and the validation cache is keyed by the rule classes, so a per-request limiter would
    # make every validation a cache miss (seen in a profile of the benchmark).
    depth_rules = QueryDepthLimiter(max_depth=max_depth).validation_rules
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        # Listed by Citizen.submissions through their interface only.
        types=[MeterReadingReceipt, ApplicationReceipt],
        # Factories, so each request gets fresh extension instances; the parser and validation
        # caches themselves are module-level LRUs shared across requests (strawberry's design).
        extensions=[
            lambda: ParserCache(maxsize=256),
            lambda: ValidationCache(maxsize=256),
            lambda: AddValidationRules(depth_rules),
            lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
            lambda: MaskErrors(should_mask_error=_is_unexpected),
        ],
    )
