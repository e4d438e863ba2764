"""Batch lookups: each key asked once, in the system's batch size, answers aligned with keys."""

from __future__ import annotations

import asyncio

import pytest

from connectors.batching import aligned, chunked, distinct, fetch_aligned
from connectors.errors import SystemUnavailable


def test_distinct_keeps_first_appearance_order() -> None:
    assert distinct(["b", "a", "b", "c", "a"]) == ["b", "a", "c"]
    assert distinct([]) == []


def test_chunked_splits_into_batches_of_at_most_size() -> None:
    assert chunked([1, 2, 3, 4, 5], 2) == [[1, 2], [3, 4], [5]]
    assert chunked([1, 2], 5) == [[1, 2]]
    assert chunked([], 3) == []
    with pytest.raises(ValueError):
        chunked([1], 0)


def test_aligned_answers_every_position_none_where_missing() -> None:
    assert aligned(["x", "y", "x", "z"], {"x": 1, "y": None}) == [1, None, 1, None]


async def test_fetch_aligned_asks_each_key_once_in_batches() -> None:
    asked: list[list[str]] = []

    async def fetch(batch: list[str]) -> dict[str, str | None]:
        asked.append(batch)
        return {key: None if key == "k3" else key.upper() for key in batch}

    keys = ["k1", "k2", "k1", "k3", "k4", "k5", "k2"]
    answers = await fetch_aligned(keys, fetch, batch_size=2)
    assert answers == ["K1", "K2", "K1", None, "K4", "K5", "K2"]
    assert asked == [["k1", "k2"], ["k3", "k4"], ["k5"]]


async def test_fetch_aligned_never_sends_keys_that_cannot_be_asked() -> None:
    asked: list[str] = []

    async def fetch(batch: list[str]) -> dict[str, int | None]:
        asked.extend(batch)
        return {key: len(key) for key in batch}

    answers = await fetch_aligned(
        ["ok", "../x", "fine"], fetch, batch_size=10, askable=lambda key: "/" not in key
    )
    assert answers == [2, None, 4]
    assert asked == ["ok", "fine"]


async def test_fetch_aligned_without_askable_keys_makes_no_call() -> None:
    async def fetch(batch: list[str]) -> dict[str, int | None]:
        raise AssertionError("no call expected")

    assert await fetch_aligned(["bad"], fetch, batch_size=1, askable=lambda _: False) == [None]
    assert await fetch_aligned([], fetch, batch_size=1) == []


async def test_fetch_aligned_runs_batches_concurrently() -> None:
    # Every batch waits until all have started: sequential batches would never get there.
    started = asyncio.Event()
    running = 0

    async def fetch(batch: list[int]) -> dict[int, int | None]:
        nonlocal running
        running += 1
        if running == 3:
            started.set()
        await started.wait()
        return {key: key * 10 for key in batch}

    answers = await asyncio.wait_for(fetch_aligned([1, 2, 3], fetch, batch_size=1), 30)
    assert answers == [10, 20, 30]


async def test_a_failed_batch_fails_the_lookup() -> None:
    async def fetch(batch: list[int]) -> dict[int, int | None]:
        if 2 in batch:
            raise SystemUnavailable("HTTP 503", system="fees", operation="queryProperties")
        return {key: key for key in batch}

    with pytest.raises(SystemUnavailable):
        await fetch_aligned([1, 2, 3], fetch, batch_size=1)
