"""The dataloaders' one failure policy (resolvers.loaders.RequestLoader)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from connectors.errors import SystemUnavailable
from resolvers.errors import SourceError
from resolvers.loaders import RequestLoader
from resolvers.testing import context_for_test


class _Register:
    """A back-office operation that counts its calls and fails while ``down``."""

    def __init__(self, down: bool) -> None:
        self.down = down
        self.calls: list[list[str]] = []

    async def lookup(self, keys: Sequence[str]) -> list[str]:
        self.calls.append(list(keys))
        if self.down:
            raise SystemUnavailable("register is down", system="fees")
        return [key.upper() for key in keys]


def _loader_class(register: _Register) -> type[RequestLoader[str, str]]:
    class UpperByKeyLoader(RequestLoader[str, str]):
        system = "fees"

        async def fetch(self, keys: Sequence[str]) -> list[str]:
            return await self.call(register.lookup(keys))

    return UpperByKeyLoader


async def test_values_are_batched_and_kept() -> None:
    register = _Register(down=False)
    context = context_for_test()
    loader = context.loader(_loader_class(register))
    assert await loader.values(["a", "b"]) == ["A", "B"]
    assert await loader.value("a") == "A"
    assert register.calls == [["a", "b"]]
    assert context.sources.answered == {"fees"}


async def test_a_failed_batch_is_remembered_for_the_request() -> None:
    register = _Register(down=True)
    context = context_for_test()
    loader = context.loader(_loader_class(register))
    with pytest.raises(SourceError) as first:
        await loader.value("a")
    # A later field (or a later mutation) needing the same key is not a second call.
    with pytest.raises(SourceError) as second:
        await loader.value("a")
    assert register.calls == [["a"]]
    # One error instance per field: graphql-core keeps the path of the first field otherwise.
    assert first.value is not second.value
    assert second.value.extensions == {"code": "SOURCE_UNAVAILABLE", "source": "FEES"}
    assert "fees" in context.sources.failures


async def test_a_new_request_asks_again() -> None:
    register = _Register(down=True)
    loader_class = _loader_class(register)
    for _ in range(2):
        with pytest.raises(SourceError):
            await context_for_test().loader(loader_class).value("a")
    assert register.calls == [["a"], ["a"]]
