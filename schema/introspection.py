"""Introspection off (``MINSIDE_INTROSPECTION``, off by default in production mode).

graphql-core's :class:`~graphql.validation.NoSchemaIntrospectionCustomRule` refuses a document
that selects ``__schema`` or ``__type`` (``__typename`` stays: clients need it); here its error
carries the gateway's code, ``INTROSPECTION_DISABLED``, so a client can tell it from a mistake.
The rule is a validation rule, so a refused document is never executed, and a document the
cache holds was validated under the same rules (:mod:`schema.document_cache`).
"""

from __future__ import annotations

from graphql import GraphQLError, NoSchemaIntrospectionCustomRule

from kernel.errors import ErrorCode

__all__ = ["NoIntrospection"]


class NoIntrospection(NoSchemaIntrospectionCustomRule):
    """graphql-core's rule, its errors coded ``INTROSPECTION_DISABLED``."""

    def report_error(self, error: GraphQLError) -> None:
        error.extensions = {
            **(error.extensions or {}),
            "code": ErrorCode.INTROSPECTION_DISABLED.value,
        }
        super().report_error(error)
