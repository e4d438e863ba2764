"""Typed GraphQL errors for missing or too weak authentication.

Clients branch on ``extensions.code``: ``UNAUTHENTICATED`` → log in;
``INSUFFICIENT_LEVEL_OF_ASSURANCE`` → step up with ``/auth/login?acr=<extensions.requiredAcr>``.
"""

from __future__ import annotations

from graphql import GraphQLError
from strawberry.types import Info

from auth.acr import Acr
from auth.viewer import Viewer
from kernel.errors import ErrorCode
from resolvers.context import Context


class Unauthenticated(GraphQLError):
    """No valid token or session came with the request."""

    def __init__(self) -> None:
        super().__init__(
            "Not logged in: log in with ID-porten",
            extensions={"code": ErrorCode.UNAUTHENTICATED.value, "loginUrl": "/auth/login"},
        )


class InsufficientLevelOfAssurance(GraphQLError):
    """The viewer is logged in, but this field needs a higher level of assurance."""

    def __init__(self, required: Acr) -> None:
        super().__init__(
            f"This requires login at {required.value}",
            extensions={
                "code": ErrorCode.INSUFFICIENT_LEVEL_OF_ASSURANCE.value,
                "requiredAcr": required.value,
                "loginUrl": f"/auth/login?acr={required.value}",
            },
        )


def require_viewer(info: Info[Context, None]) -> Viewer:
    """The request's viewer, or raise :class:`Unauthenticated`."""
    viewer = info.context.viewer
    if viewer is None:
        raise Unauthenticated()
    return viewer


def require_level(info: Info[Context, None], minimum: Acr) -> Viewer:
    """The viewer, if logged in at ``minimum`` or higher; else raise the step-up error."""
    viewer = require_viewer(info)
    if not viewer.satisfies(minimum):
        raise InsufficientLevelOfAssurance(minimum)
    return viewer
