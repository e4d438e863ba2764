"""``node(id:)``: Relay object identification, authorized on every request.

Each domain registers, per GraphQL type name, a coroutine that returns the object for a key
*only if it belongs to the viewer*; anything else — malformed ids, unknown types, someone
else's objects, missing ones — is ``null`` alike, so ids reveal nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from strawberry.types import Info

from resolvers.context import Context
from schema.relay import GlobalId
from schema.scopes import require_type_scope

NodeResolver = Callable[[Info[Context, None], str], Awaitable[Any | None]]

_RESOLVERS: dict[str, NodeResolver] = {}


def register_node(type_name: str) -> Callable[[NodeResolver], NodeResolver]:
    """Decorator: `resolver(info, key)` fetches a `type_name` of the viewer's, or None."""

    def decorate(resolver: NodeResolver) -> NodeResolver:
        _RESOLVERS[type_name] = resolver
        return resolver

    return decorate


async def resolve_node(info: Info[Context, None], value: str) -> Any | None:
    """The viewer's object with global id `value`, or None."""
    decoded = GlobalId.decode(value)
    if decoded is None:
        return None
    resolver = _RESOLVERS.get(decoded.type_name)
    if resolver is None:
        return None
    # A partner portal reads only the kinds of its scopes (the type is in the id it sent).
    require_type_scope(info, decoded.type_name)
    return await resolver(info, decoded.key)


def registered_types() -> list[str]:
    """Type names `node(id:)` can return (for tests)."""
    return sorted(_RESOLVERS)
