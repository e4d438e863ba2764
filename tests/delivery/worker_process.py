"""A delivery worker process that stops dead at a chosen moment, for the SIGKILL tests.

Run as a script with the same MINSIDE_* settings as ``python -m delivery``; it builds the worker
exactly as :func:`delivery.runner.build_worker` does, plus one hook:

- ``--pause before_claim``: announce readiness, then hang instead of claiming anything;
- ``--pause after_call``: deliver as usual, but after each back-office call returns (and before
  the outcome is stored) write ``<marker-dir>/<record id>`` and hang.

The test kills the process with SIGKILL while it hangs, which is the "gateway died at that
moment" case of the durability requirement.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import aiohttp

from connectors.registry import open_connectors
from delivery.handlers import DeliveryHandler, StepRecorder
from delivery.runner import build_worker, delivery_handlers
from kernel.settings import load_settings
from stores import open_outbox
from stores.outbox import OutboxKind, OutboxRecord


class PauseAfterCall:
    """A handler that hangs after the back-office answered, before the worker stores it."""

    def __init__(self, inner: DeliveryHandler, markers: Path) -> None:
        self._inner = inner
        self._markers = markers

    async def deliver(self, record: OutboxRecord, record_step: StepRecorder) -> Mapping[str, Any]:
        await self._inner.deliver(record, record_step)
        (self._markers / str(record.id)).write_text("delivered, not yet stored")
        await asyncio.Event().wait()  # until SIGKILL
        raise AssertionError("unreachable")


async def main(pause: str, markers: Path) -> None:
    settings = load_settings()
    outbox = await open_outbox(settings)
    async with aiohttp.ClientSession() as session:
        connectors = open_connectors(settings, session)
        if pause == "before_claim":
            (markers / "ready").write_text("up, nothing claimed")
            await asyncio.Event().wait()
        handlers: dict[OutboxKind, DeliveryHandler] = {
            kind: PauseAfterCall(handler, markers)
            for kind, handler in delivery_handlers(connectors).items()
        }
        await build_worker(settings, outbox, connectors, handlers).run()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--pause", choices=["before_claim", "after_call"], required=True)
    parser.add_argument("--marker-dir", type=Path, required=True)
    args = parser.parse_args()
    asyncio.run(main(args.pause, args.marker_dir))
