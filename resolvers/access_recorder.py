"""Recording the citizen's access log off the request path.

Per request, :class:`AccessReads` (``Context.access``) collects which personal data the
request handed out: (kind, global id, download?). When the request is answered, the gateway
passes it to :meth:`AccessRecorder.record`, which turns it into one
:class:`~stores.access_log.AccessEntry` per kind (and download flag) and puts them in a bounded
in-process buffer, without waiting for anything. A background task (:meth:`AccessRecorder.run`,
in the app's lifespan) writes the buffer to the store in batches.

Never blocking a citizen's answer has a price: when the buffer is full (the store is down or
too slow for long), new entries are dropped, each drop counted (``minside_access_log_dropped``)
and logged as a WARNING (at most one line a minute, with the count). A batch the store refuses
is retried a few times, then dropped the same way. On shutdown :meth:`AccessRecorder.stop`
writes what is left.

Which client read the data is the viewer's client (``auth.viewer.Viewer.client``, a
:class:`kernel.partners.Client`): Min side itself (its browser session, or a token of
``MINSIDE_IDPORTEN_CLIENT_ID``) or a partner portal of the catalogue, stored by ``client_id``
with its nb name (the log shows the catalogue's name in the reader's language,
``schema.access_log.types``).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Final, Protocol

from auth.viewer import Viewer
from kernel.partners import ClientRegistry
from kernel.server_secret import ServerSecret
from stores.access_log import MAX_OBJECT_IDS, AccessEntry, AccessKind, AccessLog

__all__ = [
    "NO_ACCESS_OBSERVER",
    "AccessObserver",
    "AccessReads",
    "AccessRecorder",
]

log = logging.getLogger(__name__)

#: Writes of one batch before it is dropped, and the pause after each failed one.
WRITE_ATTEMPTS: Final = 3
RETRY_PAUSE_S: Final = 0.5
#: At most one WARNING about dropped entries per this many seconds.
DROP_WARNING_INTERVAL_S: Final = 60.0
#: How long a citizen reading their own log waits for the entries before it to be written.
CATCH_UP_TIMEOUT_S: Final = 2.0


class AccessObserver(Protocol):
    """Told how many entries were written and dropped (the gateway's metrics)."""

    def on_access_log_written(self, count: int) -> None:
        """``count`` entries were committed to the store."""

    def on_access_log_dropped(self, count: int, reason: str) -> None:
        """``count`` entries were dropped: ``queue_full``, ``store_failed`` or ``shutdown``."""


class _NoAccessObserver:
    def on_access_log_written(self, count: int) -> None:
        return None

    def on_access_log_dropped(self, count: int, reason: str) -> None:
        return None


NO_ACCESS_OBSERVER: Final[AccessObserver] = _NoAccessObserver()


class AccessReads:
    """What one request handed out of the viewer's personal data, by kind and download flag
    (insertion-ordered, each id once, at most :data:`MAX_OBJECT_IDS` per kind)."""

    def __init__(self) -> None:
        self._objects: dict[tuple[AccessKind, bool], dict[str, None]] = {}

    def add(self, kind: AccessKind, object_id: str, *, download: bool = False) -> None:
        """Note that the object with global id ``object_id`` was read (or downloaded)."""
        ids = self._objects.setdefault((kind, download), {})
        if len(ids) < MAX_OBJECT_IDS:
            ids[object_id] = None

    def __bool__(self) -> bool:
        return bool(self._objects)

    def take(self) -> dict[tuple[AccessKind, bool], tuple[str, ...]]:
        """The reads so far, by (kind, download); empties the collection."""
        taken = {key: tuple(ids) for key, ids in self._objects.items() if ids}
        self._objects = {}
        return taken


class AccessRecorder:
    """The bounded buffer between requests and the access log store, and its writer task."""

    def __init__(
        self,
        store: AccessLog,
        secret: ServerSecret,
        clients: ClientRegistry,
        *,
        queue_max: int,
        batch_max: int,
        observer: AccessObserver = NO_ACCESS_OBSERVER,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self.clients = clients
        self._secret = secret
        self._queue_max = queue_max
        self._batch_max = batch_max
        self._observer = observer
        self._clock = clock
        self._buffer: collections.deque[AccessEntry] = collections.deque()
        self._ready = asyncio.Event()
        self._stopping = False
        # Entries accepted into the buffer, and those since written or dropped: a reader of
        # the log waits until the second passes what the first was when it asked.
        self._accepted = 0
        self._done = 0
        self._progress = asyncio.Condition()
        self._unwarned_drops = 0
        self._last_warning = float("-inf")

    # --- the request path (never waits) -------------------------------------------------

    def record(self, viewer: Viewer, reads: AccessReads) -> int:
        """Buffer the entries of one request's reads; returns how many were buffered."""
        taken = reads.take()
        if not taken:
            return 0
        viewer_key = self._secret.viewer_key(viewer.pid)
        client = viewer.client
        at = self._clock()
        buffered = 0
        for (kind, download), object_ids in taken.items():
            if len(self._buffer) >= self._queue_max:
                self._dropped(len(taken) - buffered, "queue_full")
                break
            self._buffer.append(
                AccessEntry(
                    viewer_key=viewer_key,
                    at=at,
                    client_id=client.client_id,
                    client_name=client.name.nb,
                    kind=kind,
                    object_ids=object_ids,
                    download=download,
                )
            )
            buffered += 1
        self._accepted += buffered
        if buffered:
            self._ready.set()
        return buffered

    # --- the writer -----------------------------------------------------------------------

    async def run(self) -> None:
        """Write the buffer in batches until :meth:`stop` (which lets it finish the buffer)."""
        while True:
            await self._ready.wait()
            self._ready.clear()
            while self._buffer:
                count = min(len(self._buffer), self._batch_max)
                batch = [self._buffer.popleft() for _ in range(count)]
                await self._write(batch)
            if self._stopping:
                return

    async def _write(self, batch: list[AccessEntry]) -> None:
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            try:
                await self.store.write(batch)
            except Exception as exc:  # any store failure: retried, then dropped and counted
                if attempt == WRITE_ATTEMPTS:
                    log.warning(
                        "access log: a batch of %d entries could not be written (%s)",
                        len(batch),
                        type(exc).__name__,
                    )
                    self._observer.on_access_log_dropped(len(batch), "store_failed")
                    break
                await asyncio.sleep(RETRY_PAUSE_S * attempt)
            else:
                self._observer.on_access_log_written(len(batch))
                break
        await self._advance(len(batch))

    async def _advance(self, count: int) -> None:
        async with self._progress:
            self._done += count
            self._progress.notify_all()

    def _dropped(self, count: int, reason: str) -> None:
        self._observer.on_access_log_dropped(count, reason)
        self._unwarned_drops += count
        now = time.monotonic()
        if now - self._last_warning >= DROP_WARNING_INTERVAL_S:
            log.warning(
                "access log: %d entries dropped (%s): the writer is behind; "
                "MINSIDE_ACCESS_LOG_QUEUE_MAX is %d",
                self._unwarned_drops,
                reason,
                self._queue_max,
            )
            self._unwarned_drops = 0
            self._last_warning = now

    async def caught_up(self, timeout_s: float = CATCH_UP_TIMEOUT_S) -> bool:
        """Wait (at most ``timeout_s``) until every entry buffered before this call has been
        written or dropped; False on timeout. A citizen reading their own log then sees the
        request that just came before it."""
        target = self._accepted
        try:
            async with asyncio.timeout(timeout_s), self._progress:
                await self._progress.wait_for(lambda: self._done >= target)
        except TimeoutError:
            return False
        return True

    async def stop(self, writer: asyncio.Task[None], timeout_s: float = 10.0) -> None:
        """Let the writer task write what is buffered and end (shutdown); what it cannot
        write within ``timeout_s`` is dropped and counted."""
        self._stopping = True
        self._ready.set()
        done, _ = await asyncio.wait({writer}, timeout=timeout_s)
        if done:
            return
        writer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await writer
        left = len(self._buffer)
        if left:
            self._buffer.clear()
            self._dropped(left, "shutdown")
