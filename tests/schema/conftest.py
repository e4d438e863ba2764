"""Fixtures of the schema tests."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
import strawberry.schema.schema as strawberry_schema


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How often strawberry parses and validates a document."""
    counted: Counter[str] = Counter()
    real_parse, real_validate = strawberry_schema.parse, strawberry_schema.validate_document

    def parse_counted(*args: Any, **kwargs: Any) -> Any:
        counted["parse"] += 1
        return real_parse(*args, **kwargs)

    def validate_counted(*args: Any, **kwargs: Any) -> Any:
        counted["validate"] += 1
        return real_validate(*args, **kwargs)

    monkeypatch.setattr(strawberry_schema, "parse", parse_counted)
    monkeypatch.setattr(strawberry_schema, "validate_document", validate_counted)
    return counted
