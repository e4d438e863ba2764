"""The real Redis and PostgreSQL that store tests run against, one clean namespace per test.

This machine runs both (127.0.0.1:6379 and :5432); ``MINSIDE_TEST_REDIS_URL`` and
``MINSIDE_TEST_DATABASE_URL`` point the tests elsewhere. A test that needs one asks for the
``redis_url`` or ``database_url`` fixture (and its file goes under ``INTEGRATION`` in
``tests/conftest.py``). When the service does not answer, the test is skipped with a message
naming it, except under ``CI=true``, where a missing service is a failure: CI must not go
green by skipping the stores it exists to test.

Isolation: each test gets its own Redis key prefix (its keys are deleted afterwards) and its
own PostgreSQL schema (dropped afterwards), so tests and suites running side by side never see
each other's data.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from psycopg_pool import AsyncConnectionPool

from kernel.servers import free_port

# Read at import, before the autouse fixture hides the developer's MINSIDE_* variables.
REDIS_URL = os.environ.get("MINSIDE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
DATABASE_URL = os.environ.get(
    "MINSIDE_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _answers(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 0), 2):
            return True
    except OSError:
        return False


def require(service: str, url: str, how: str) -> None:
    """Skip (or under CI fail) the calling test when `service` at `url` does not answer."""
    if _answers(url):
        return
    message = f"{service} is not reachable at {url}; {how}"
    if IN_CI:
        pytest.fail(f"{message} (CI=true: store tests must run)")
    pytest.skip(message)


@dataclass(frozen=True)
class RedisNamespace:
    """A Redis URL and a key prefix no other test uses."""

    url: str
    prefix: str


@pytest.fixture
def redis_namespace() -> Iterator[RedisNamespace]:
    """The real Redis, under a key prefix of this test's own (its keys deleted afterwards)."""
    require(
        "Redis",
        REDIS_URL,
        "start it (`redis-server --daemonize yes`) or set MINSIDE_TEST_REDIS_URL",
    )
    import redis  # the sync client: the cleanup must not depend on the test's event loop

    namespace = RedisNamespace(REDIS_URL, f"minside-test:{uuid.uuid4().hex[:12]}:")
    yield namespace
    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(match=namespace.prefix + "*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture
def database_url() -> Iterator[str]:
    """The real PostgreSQL, in a schema of this test's own (dropped afterwards): the URL's
    ``options`` set its ``search_path``, so the code under test needs no schema name."""
    require(
        "PostgreSQL",
        DATABASE_URL,
        "start it (`pg_ctlcluster 15 main start`) or set MINSIDE_TEST_DATABASE_URL",
    )
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(DATABASE_URL, autocommit=True) as db:
        db.execute(f'CREATE SCHEMA "{schema}"')
    separator = "&" if "?" in DATABASE_URL else "?"
    yield f"{DATABASE_URL}{separator}options={quote(f'-csearch_path={schema}')}"
    with psycopg.connect(DATABASE_URL, autocommit=True) as db:
        db.execute(f'DROP SCHEMA "{schema}" CASCADE')


async def unreachable_pool(timeout_s: float) -> AsyncConnectionPool[Any]:
    """An open PostgreSQL pool whose server does not answer (nothing listens on its port): what
    a store sees while its database is down. Close it when done."""
    pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
        f"postgresql://minside@127.0.0.1:{free_port()}/minside",
        min_size=0,
        max_size=1,
        timeout=timeout_s,
        open=False,
        kwargs={"autocommit": True},
    )
    await pool.open(wait=False)
    return pool
