"""Which Matrikkel branches a ``properties`` selection will need, read from the query.

The property list's own resolver sees the whole selection below it, so it can start the reads
its children will make (:func:`resolvers.property.properties.start_branches`) instead of
leaving each to start when graphql-core reaches its field, one round trip later.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

from strawberry.types import Info

from resolvers.context import Context
from resolvers.property.properties import Branch

__all__ = ["wanted_branches"]

#: The Property fields that read a branch (their GraphQL names).
_FIELDS: Final[dict[str, Branch]] = {
    "ownershipShare": Branch.SHARE,
    "address": Branch.ADDRESSES,
    "map": Branch.ADDRESSES,
    "buildings": Branch.BUILDINGS,
    "feeBasis": Branch.FEES,
    "propertyTaxBasis": Branch.FEES,
    "waterMeters": Branch.FEES,
}
#: The connection's fields that lead to the properties.
_CONNECTION: Final = frozenset({"nodes", "edges", "node"})


def wanted_branches(info: Info[Context, None]) -> frozenset[Branch]:
    """The branches the current ``properties`` field's selection reads.

    A field under ``@skip``/``@include`` counts as selected: starting a read that is not
    needed costs one call, never a wrong answer.
    """
    found: set[Branch] = set()
    for field in info.selected_fields:
        _walk(field.selections, found)
    return frozenset(found)


def _walk(selections: Iterable[Any], found: set[Branch]) -> None:
    for selection in selections:
        name = getattr(selection, "name", None)
        is_field = hasattr(selection, "arguments")  # fragments have no arguments
        if is_field and name in _FIELDS:
            found.add(_FIELDS[name])
        elif not is_field or name in _CONNECTION:
            _walk(getattr(selection, "selections", ()) or (), found)
