"""gateway.incremental: the 2022-08-24 fields, the merged JSON body and Accept parsing.

Payloads are written in graphql-core 3.3's shape as strawberry formats them (pending ids,
``subPath``, stream ``items`` without an index, whole-fragment errors in ``completed``).
"""

from __future__ import annotations

import pytest

from gateway.incremental import (
    Defer20220824,
    accepts_multipart,
    mask_internal_errors,
    merge_payloads,
    wants_defer_20220824,
)
from kernel.logs import request_id

INITIAL = {
    "data": {"viewer": {"name": "Tuva", "meters": [{"n": 1}]}},
    "hasNext": True,
    "pending": [
        {"id": "0", "path": ["viewer"], "label": "slow"},
        {"id": "1", "path": ["viewer", "meters"]},
    ],
}
FAILED = {
    "hasNext": True,
    "completed": [{"id": "0", "errors": [{"message": "down", "path": ["viewer", "x"]}]}],
}
STREAMED = [
    {"hasNext": True, "incremental": [{"id": "1", "items": [{"n": 2}, {"n": 3}]}]},
    {"hasNext": False, "incremental": [{"id": "1", "items": [{"n": 4}]}], "completed": []},
]


def test_a_whole_fragment_failure_is_data_null_for_a_2022_client_only() -> None:
    legacy = Defer20220824(failed_as_null=True)
    legacy(INITIAL)
    (entry,) = legacy(FAILED)["incremental"]
    assert entry == {
        "data": None,
        "path": ["viewer"],
        "label": "slow",
        "errors": [{"message": "down", "path": ["viewer", "x"]}],
    }

    newer = Defer20220824(failed_as_null=False)
    newer(INITIAL)
    assert "incremental" not in newer(FAILED)  # its errors stay in `completed`


def test_streamed_items_get_their_index_in_the_path() -> None:
    adapter = Defer20220824(failed_as_null=True)
    adapter(INITIAL)
    paths = [entry["path"] for part in STREAMED for entry in adapter(part)["incremental"]]
    assert paths == [["viewer", "meters", 1], ["viewer", "meters", 3]]


def test_sub_path_is_added_to_the_fragments_path() -> None:
    adapter = Defer20220824(failed_as_null=True)
    adapter({"data": {}, "hasNext": True, "pending": [{"id": "0", "path": []}]})
    part = {"hasNext": False, "incremental": [{"id": "0", "subPath": ["viewer"], "data": {}}]}
    (entry,) = adapter(part)["incremental"]
    assert entry["path"] == ["viewer"] and entry["id"] == "0"
    assert "label" not in entry


def test_the_merged_body_has_every_part_and_every_error() -> None:
    adapter = Defer20220824(failed_as_null=True)
    payloads = [
        adapter(INITIAL),
        adapter({"hasNext": True, "incremental": [{"id": "0", "data": {"age": 3}}]}),
        *(adapter(part) for part in STREAMED),
        adapter(FAILED),
    ]
    merged = merge_payloads(payloads)
    assert merged["data"] == {
        "viewer": {"name": "Tuva", "age": 3, "meters": [{"n": 1}, {"n": 2}, {"n": 3}, {"n": 4}]}
    }
    assert merged["errors"] == [{"message": "down", "path": ["viewer", "x"]}]


@pytest.mark.parametrize(
    ("accept", "multipart", "legacy"),
    [
        ("multipart/mixed;deferSpec=20220824, application/json", True, True),
        ('multipart/mixed; deferSpec="20220824"', True, True),
        ("application/json, Multipart/Mixed", True, False),
        ("*/*", False, False),
        ("application/json", False, False),
        ("", False, False),
        ("multipart/mixed;subscriptionSpec=1.0", True, False),
    ],
)
def test_accept(accept: str, multipart: bool, legacy: bool) -> None:
    assert accepts_multipart(accept) is multipart
    assert wants_defer_20220824(accept) is legacy


def test_null_extensions_are_left_out() -> None:
    adapter = Defer20220824(failed_as_null=False)
    assert "extensions" not in adapter({**INITIAL, "extensions": None})
    assert adapter({"hasNext": False, "extensions": {"cost": 1}})["extensions"] == {"cost": 1}


def test_a_deferred_fault_is_masked_as_internal_with_the_request_id(caplog) -> None:
    fault = {
        "message": "db password hunter2",
        "locations": [{"line": 3, "column": 5}],
        "path": ["viewer", "x"],
    }
    typed = {"message": "Matrikkel is unavailable", "extensions": {"code": "SOURCE_UNAVAILABLE"}}
    payload = {
        "incremental": [{"data": {"x": None}, "errors": [fault, typed], "id": "0"}],
        "completed": [{"id": "1", "errors": [dict(fault)]}],
        "hasNext": False,
    }
    token = request_id.set("req-12345678")
    try:
        mask_internal_errors(payload)
    finally:
        request_id.reset(token)
    masked, kept = payload["incremental"][0]["errors"]
    assert kept == typed
    assert masked["extensions"] == {"code": "INTERNAL", "requestId": "req-12345678"}
    assert masked["path"] == ["viewer", "x"] and masked["locations"] == fault["locations"]
    assert "hunter2" not in str(payload)
    assert [r.levelname for r in caplog.records if r.name == "minside.graphql"] == ["ERROR"] * 2
