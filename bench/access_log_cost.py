"""CPU the citizen's access log adds to a request: the field wrappers and the recorder.

A dashboard (``bench/dashboard.graphql``) passes through about ten recorded fields: the pages of
properties, cases and invoices (``…Connection.nodes``), each property's ``waterMeters`` and each
case's ``decision``; then the request hands its reads to the recorder once. This times those
two steps in isolation (the store's write runs later, off the request path, and is not timed)::

    .venv/bin/python -m bench.access_log_cost [--rounds 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from types import SimpleNamespace
from typing import Any

import strawberry

from auth.acr import Acr
from auth.viewer import AuthMethod, Viewer
from kernel.partners import ClientRegistry
from kernel.server_secret import ServerSecret
from resolvers.access_recorder import AccessReads, AccessRecorder
from schema.access_log.reads import _recording
from schema.case.types import Case
from stores.access_log import AccessEntry

PID = "13818097953"  # synthetic


class _DiscardingStore:
    async def write(self, entries: list[AccessEntry]) -> None:
        return None


def _cases(count: int) -> list[Case]:
    cases = []
    for index in range(count):
        case = Case.__new__(Case)
        case.id = strawberry.ID(f"case-{index}")
        cases.append(case)
    return cases


def _per_call_us(fn: Any, rounds: int) -> float:
    started = time.process_time()
    for _ in range(rounds):
        fn()
    return (time.process_time() - started) / rounds * 1e6


async def _main(rounds: int) -> None:
    page = _cases(5)
    page_field = _recording(lambda source, info: page)
    one_field = _recording(lambda source, info: page[0])

    def plain_field(source: Any, info: Any) -> list[Case]:
        return page

    info: Any = SimpleNamespace(context=SimpleNamespace(access=AccessReads()))
    recorder = AccessRecorder(
        _DiscardingStore(),  # type: ignore[arg-type]
        ServerSecret("bench-secret-" + "b" * 32),
        ClientRegistry("minside-gateway"),
        queue_max=rounds * 4,
        batch_max=500,
    )
    viewer = Viewer(pid=PID, sub="s", acr=Acr.SUBSTANTIAL, method=AuthMethod.SESSION)

    def one_request() -> None:
        reads = AccessReads()
        info.context.access = reads
        for _ in range(3):  # the three pages
            page_field(None, info)
        for _ in range(6):  # meters and decisions
            one_field(None, info)
        recorder.record(viewer, reads)

    def plain() -> None:
        plain_field(None, info)

    timings = {
        "unwrapped field (5 objects)": _per_call_us(plain, rounds),
        "recorded field (5 objects)": _per_call_us(lambda: page_field(None, info), rounds),
        "recorded field (1 object)": _per_call_us(lambda: one_field(None, info), rounds),
        "a dashboard's fields + record()": _per_call_us(one_request, rounds // 10),
    }
    for name, micros in timings.items():
        print(f"{name + ':':34} {micros:7.2f} µs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=100_000)
    asyncio.run(_main(parser.parse_args().rounds))


if __name__ == "__main__":
    main()
