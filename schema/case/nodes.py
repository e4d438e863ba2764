"""``node(id:)`` for ``Case`` and ``Document``: only the viewer's own are found.

Ownership comes from the viewer's own case list (where the viewer is a party); a document is
the viewer's when it belongs to such a case. Anything else answers null like a missing object.
"""

from __future__ import annotations

from strawberry.types import Info

from resolvers.case.cases import case_of_viewer, document_of_viewer
from resolvers.context import Context
from schema.case.types import Case, Document
from schema.errors import require_viewer
from schema.node import register_node

__all__ = ["case_node", "document_node"]


@register_node("Case")
async def case_node(info: Info[Context, None], key: str) -> Case | None:
    """The viewer's case with case number `key`."""
    require_viewer(info)
    case = await case_of_viewer(info.context, key)
    return Case.from_p360(case) if case is not None else None


@register_node("Document")
async def document_node(info: Info[Context, None], key: str) -> Document | None:
    """The viewer's document with document number `key`."""
    require_viewer(info)
    document = await document_of_viewer(info.context, key)
    return Document.from_p360(document) if document is not None else None
