"""ShapeReader.found_results: the keyed answer of a JSON batch lookup."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from connectors.errors import MalformedResponse
from connectors.shapes import ShapeReader

READER = ShapeReader("visma", "lookupInvoices")


def _title(entry: Mapping[str, Any]) -> str:
    return READER.text(entry, "title")


def test_found_results_reads_found_entries_and_nones() -> None:
    body = {
        "results": [
            {"number": "A-1", "found": True, "title": "Vann"},
            {"number": "A-2", "found": False},
        ]
    }
    assert READER.found_results(body, "number", ["A-1", "A-2"], _title) == {
        "A-1": "Vann",
        "A-2": None,
    }


@pytest.mark.parametrize(
    "body",
    [
        {"results": [{"number": "A-1", "found": True, "title": "Vann"}]},  # one missing
        {"results": [{"number": "A-3", "found": False}, {"number": "A-1", "found": False}]},
        {"results": "nope"},
        {"results": [{"number": "A-1"}]},
        [],
    ],
)
def test_found_results_refuses_answers_to_another_question(body: Any) -> None:
    with pytest.raises(MalformedResponse) as caught:
        READER.found_results(body, "number", ["A-1", "A-2"], _title)
    assert caught.value.system == "visma"
    assert caught.value.operation == "lookupInvoices"


def test_objects_reads_each_item_of_an_array_as_an_object() -> None:
    lines = list(READER.objects({"lines": [{"a": 1}, {"b": 2}]}, "lines", "line"))
    assert lines == [{"a": 1}, {"b": 2}]
    with pytest.raises(MalformedResponse, match="line is not an object"):
        list(READER.objects({"lines": [{"a": 1}, "01017012345"]}, "lines", "line"))
    with pytest.raises(MalformedResponse, match="'lines' is not an array"):
        READER.objects({"lines": None}, "lines", "line")
