"""Relay conventions: opaque global ids, the ``Node`` interface and counted connections.

Connections slice an already-ordered list: cursors are opaque offsets into it, ``first`` is
capped at :data:`MAX_PAGE_SIZE`, and bad arguments are ``BAD_USER_INPUT`` errors.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Generic, TypeVar

import strawberry
from graphql import GraphQLError

from kernel.errors import ErrorCode

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20

# The `first` argument of every connection field, with the real limits in its description.
First = Annotated[
    int | None,
    strawberry.argument(
        description=f"Items on the page: at most {MAX_PAGE_SIZE} (default {DEFAULT_PAGE_SIZE}); "
        "a larger or negative value is a BAD_USER_INPUT error."
    ),
]

Item = TypeVar("Item")


class BadUserInput(GraphQLError):
    """An argument the client can fix: a bad id, cursor or page size."""

    def __init__(self, message: str, argument: str) -> None:
        super().__init__(
            message, extensions={"code": ErrorCode.BAD_USER_INPUT.value, "argument": argument}
        )


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _unb64(token: str) -> str | None:
    try:
        return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


@dataclass(frozen=True)
class GlobalId:
    """A decoded global id: the GraphQL type name and the key within it."""

    type_name: str
    key: str

    def encode(self) -> strawberry.ID:
        return strawberry.ID(_b64(f"{self.type_name}:{self.key}"))

    @classmethod
    def decode(cls, value: str) -> GlobalId | None:
        """The id's parts, or None for anything that is not one of our ids."""
        text = _unb64(value)
        if text is None or ":" not in text:
            return None
        type_name, key = text.split(":", 1)
        if not type_name or not key:
            return None
        return cls(type_name, key)


def global_id(type_name: str, key: object) -> strawberry.ID:
    """The opaque id of an object of `type_name` with `key`."""
    return GlobalId(type_name, str(key)).encode()


@strawberry.interface(description="An object with a globally unique, opaque id (Relay).")
class Node:
    id: strawberry.ID = strawberry.field(description="Opaque global id; use with node(id:).")


@strawberry.type(description="Where a page of a connection starts and ends (Relay).")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type(description="One item of a connection with its cursor.")
class Edge(Generic[Item]):
    cursor: str
    node: Item


@strawberry.type(description="A page of a list (Relay connection) with the list's total size.")
class Connection(Generic[Item]):
    edges: list[Edge[Item]]
    page_info: PageInfo
    total_count: int = strawberry.field(description="Items in the whole list (all pages).")

    @strawberry.field(description="The items of this page (shortcut for edges { node }).")
    def nodes(self) -> list[Item]:
        return [edge.node for edge in self.edges]


def _cursor(offset: int) -> str:
    return _b64(f"cursor:{offset}")


def _offset(cursor: str) -> int:
    text = _unb64(cursor)
    if text is None or not text.startswith("cursor:"):
        raise BadUserInput("after is not a cursor from this connection", "after")
    try:
        value = int(text.removeprefix("cursor:"))
    except ValueError:
        raise BadUserInput("after is not a cursor from this connection", "after") from None
    if value < 0:
        raise BadUserInput("after is not a cursor from this connection", "after")
    return value


def check_page_size(first: int | None) -> int:
    """The page size to use for `first`, or a BAD_USER_INPUT error."""
    if first is None:
        return DEFAULT_PAGE_SIZE
    if first < 0 or first > MAX_PAGE_SIZE:
        raise BadUserInput(f"first must be between 0 and {MAX_PAGE_SIZE}", "first")
    return first


def paginate(items: Sequence[Item], first: int | None, after: str | None) -> Connection[Item]:
    """One page of an ordered list, after the cursor `after`, at most `first` long."""
    size = check_page_size(first)
    start = _offset(after) + 1 if after else 0
    page = items[start : start + size]
    edges = [Edge(cursor=_cursor(start + i), node=node) for i, node in enumerate(page)]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=start + len(page) < len(items),
            has_previous_page=start > 0,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        total_count=len(items),
    )
