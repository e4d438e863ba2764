"""The fields this domain adds to ``Citizen`` (the type is composed in schema/citizen/types.py)."""

from __future__ import annotations


class CitizenSubmissionFields:
    """Mixin of ``Citizen``; decorate with @strawberry.type once it has fields."""
