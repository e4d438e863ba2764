"""The delivery worker: takes due outbox records and delivers them, concurrently and forever.

One worker runs in each gateway process (started in the app's lifespan), or in a process of its
own (``python -m delivery``); any number may share an outbox, since :meth:`Outbox.claim_due`
leases each record to one of them. The worker

1. claims due records (``PENDING`` and due, or ``DELIVERING`` with an expired lease: that is how
   the in-flight records of a killed process are recovered), at most ``concurrency`` in flight;
2. delivers each with the handler of its kind (:mod:`delivery.handlers`), which passes the
   record's delivery key on to the back-office so a repeated delivery changes nothing there,
   renewing the record's lease every ``renew_every_s`` (a third of the lease by default) while
   the handler runs; if a renewal finds the claim lost (another worker has the record), the
   delivery is cancelled and its outcome not stored;
3. stores the outcome: ``DELIVERED`` with the result, ``REJECTED`` with the reason, or back to
   ``PENDING`` with a back-off (:mod:`delivery.policy`);
4. sleeps until the next record is due, at most ``poll_s`` (another process may accept into the
   same outbox), or until :meth:`DeliveryWorker.notify` says a record was just accepted.

Exactly once: a record is marked ``DELIVERED`` only after the back-office answered; if the
process dies in between, the lease expires and the next claim delivers again with the same key,
which the back-office answers with what it did the first time. Thanks to the renewals
``lease_s`` only bounds how long a dead worker's records wait, not how long a delivery may take.

Poison records: a record whose delivery kills its worker every time (its lease always expires)
is parked ``FAILED`` by ``claim_due`` once it lost ``max_lost_leases`` leases, instead of taking
down every worker that claims it, for ever.

Keeping less: a record's files are read from the outbox only for its delivery attempt; with
``drop_private`` (the default) the final mark drops its private data and files; and when given a
``purge`` the worker runs it every ``purge_every_s`` (:mod:`stores.retention`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
import traceback
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Final, TypeVar

from delivery.handlers import DeliveryHandler, RejectionAware
from delivery.policy import BackoffPolicy, classify
from stores.outbox import DEFAULT_MAX_LOST_LEASES, LeaseLost, Outbox, OutboxKind, OutboxRecord

__all__ = ["DeliveryWorker"]

logger = logging.getLogger("minside.delivery")

T = TypeVar("T")

# Shortest sleep of the loop: a record due "now" that another process holds must not spin us.
_MIN_SLEEP_S: Final = 0.05


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _release_frames(exc: BaseException) -> None:
    """Let go of what the failed attempt's frames hold (its files, the encoded request).

    A failed SOAP call raises through frames whose locals hold the exception again (``raise
    ... from``), a reference cycle only the cyclic collector frees; until it runs, every retry
    of a large application kept another copy of its attachments and encoded envelope alive
    (hundreds of MB after a few retries). Only the classification is needed from here on.
    """
    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if current.__traceback__ is not None:
            traceback.clear_frames(current.__traceback__)
        pending.extend((current.__cause__, current.__context__))


class DeliveryWorker:
    """Delivers outbox records with one handler per kind (see the module docstring).

    ``clock`` gives the current UTC time (tests inject one); ``rng`` jitters the back-off;
    ``max_age`` (None: retry forever) rejects a record that still fails transiently that long
    after it was accepted; ``max_lost_leases`` goes to ``claim_due`` (parking poison records);
    ``renew_every_s`` (default ``lease_s / 3``, real seconds) is how often a running delivery
    renews its lease.
    """

    def __init__(
        self,
        outbox: Outbox,
        handlers: Mapping[OutboxKind, DeliveryHandler],
        *,
        clock: Callable[[], datetime] = _utc_now,
        backoff: BackoffPolicy | None = None,
        lease_s: float = 60.0,
        concurrency: int = 8,
        poll_s: float = 5.0,
        max_age: timedelta | None = None,
        rng: random.Random | None = None,
        max_lost_leases: int = DEFAULT_MAX_LOST_LEASES,
        renew_every_s: float | None = None,
        drop_private: bool = True,
        purge: Callable[[datetime], Awaitable[object]] | None = None,
        purge_every_s: float = 3600.0,
    ) -> None:
        if lease_s <= 0 or poll_s <= 0:
            raise ValueError("lease_s and poll_s must be positive")
        if concurrency < 1 or max_lost_leases < 1:
            raise ValueError("concurrency and max_lost_leases must be at least 1")
        renew_every_s = lease_s / 3 if renew_every_s is None else renew_every_s
        if not 0 < renew_every_s < lease_s:
            raise ValueError("renew_every_s must be positive and shorter than lease_s")
        self._outbox = outbox
        self._handlers = dict(handlers)
        self._clock = clock
        self._backoff = backoff or BackoffPolicy()
        self._lease_s = lease_s
        self._concurrency = concurrency
        self._poll_s = poll_s
        self._max_age = max_age
        self._max_lost_leases = max_lost_leases
        self._renew_every_s = renew_every_s
        # Not for security: jitter only needs to differ between workers.
        self._rng = rng or random.Random()  # noqa: S311
        self._wake = asyncio.Event()
        if purge_every_s <= 0:
            raise ValueError("purge_every_s must be positive")
        self._drop_private = drop_private
        self._purge = purge
        self._purge_every_s = purge_every_s

    def notify(self) -> None:
        """Wake the loop now: a record was just accepted (call after ``Outbox.accept``)."""
        self._wake.set()

    async def run_once(self) -> list[OutboxRecord]:
        """Claim the records due now (up to ``concurrency``), deliver them, and return them as
        they ended this attempt (records whose claim was lost meanwhile are left out)."""
        claimed = await self._outbox.claim_due(
            self._clock(),
            self._lease_s,
            self._concurrency,
            max_lost_leases=self._max_lost_leases,
        )
        outcomes = await asyncio.gather(*(self.deliver(record) for record in claimed))
        return [record for record in outcomes if record is not None]

    async def run(self) -> None:
        """Deliver until cancelled. On cancellation the deliveries in flight are cancelled too
        and their records given back as due (cancel and await this before closing the outbox);
        if that fails, or the process is killed, their leases expire and the next worker
        delivers them again."""
        inflight: set[asyncio.Task[OutboxRecord | None]] = set()
        purger = None if self._purge is None else asyncio.create_task(self._purge_forever())
        try:
            while True:
                free = self._concurrency - len(inflight)
                claimed: list[OutboxRecord] = []
                if free > 0:
                    # Cleared before the claim: a notify() during the claim is not lost.
                    self._wake.clear()
                    claimed = await self._claim(free)
                    for record in claimed:
                        inflight.add(asyncio.create_task(self.deliver(record)))
                    if claimed and len(claimed) == free:
                        continue  # maybe more are due; the next round finds the slots full
                timeout = await self._sleep_s() if len(inflight) < self._concurrency else None
                waker = asyncio.create_task(self._wake.wait())
                try:
                    done, _ = await asyncio.wait(
                        {waker, *inflight},
                        timeout=timeout if timeout is not None else self._poll_s,
                        return_when=asyncio.FIRST_COMPLETED,
                    )
                finally:
                    waker.cancel()
                    # Not `suppress(CancelledError): await waker`: that would also swallow a
                    # cancellation of this task arriving right now, and the worker would
                    # poll on after being stopped (gather only reports the waker's own).
                    await asyncio.gather(waker, return_exceptions=True)
                inflight -= done
        finally:
            for task in inflight:
                task.cancel()
            if purger is not None:
                purger.cancel()
            await asyncio.gather(
                *inflight, *([] if purger is None else [purger]), return_exceptions=True
            )

    async def purge_now(self) -> None:
        """Run the retention purge once (logged; a failure is logged and left for next time)."""
        if self._purge is None:
            return
        try:
            outcome = await self._purge(self._clock())
        except Exception:
            logger.exception("the retention purge failed")
            return
        logger.info("retention purge: %s", outcome)

    async def _purge_forever(self) -> None:
        while True:
            await self.purge_now()
            await asyncio.sleep(self._purge_every_s)

    async def _claim(self, limit: int) -> list[OutboxRecord]:
        try:
            return await self._outbox.claim_due(
                self._clock(), self._lease_s, limit, max_lost_leases=self._max_lost_leases
            )
        except Exception:
            # A locked or failing store must not end the loop; try again after a poll.
            logger.exception("claiming due outbox records failed")
            return []

    async def _sleep_s(self) -> float:
        try:
            due = await self._outbox.next_due_at()
        except Exception:
            logger.exception("reading the next due time failed")
            return self._poll_s
        if due is None:
            return self._poll_s
        wait = (due - self._clock()).total_seconds()
        return min(self._poll_s, max(_MIN_SLEEP_S, wait))

    async def deliver(self, record: OutboxRecord) -> OutboxRecord | None:
        """Deliver one claimed record and store the outcome; returns the updated record, or
        None if the claim was lost (another worker has it) or the store failed (the lease
        will expire and the record be claimed again). Never raises except on cancellation."""
        token = record.lease_token
        if token is None:
            raise ValueError("deliver() takes a claimed record (from claim_due)")
        try:
            return await self._attempt(record, token)
        except asyncio.CancelledError:
            await self._release(record, token)
            raise
        except LeaseLost:
            logger.info("outbox record %s: claim lost to another worker", record.id)
        except Exception:
            logger.exception("outbox record %s: storing the outcome failed", record.id)
        return None

    async def _release(self, record: OutboxRecord, token: str) -> None:
        """Give an interrupted record back (due now) so the next worker need not wait for the
        lease to expire. Safe even if the call reached the back-office: the key makes the
        next attempt a replay. Best effort: if it fails, the lease expiry still recovers it."""
        release = asyncio.ensure_future(
            self._outbox.mark_retry(record.id, "interrupted: worker stopped", self._clock(), token)
        )
        try:
            await asyncio.shield(release)
        except asyncio.CancelledError:
            pass  # cancelled again while releasing: the shielded write still completes
        except Exception:
            logger.info("outbox record %s: not released; its lease will expire", record.id)

    async def _attempt(self, record: OutboxRecord, token: str) -> OutboxRecord:
        handler = self._handlers.get(record.kind)
        if handler is None:
            # Configuration, not the record's fault: keep it for a process that can send it.
            return await self._retry(record, token, f"no_handler: {record.kind.value}")

        async def record_step(step: Mapping[str, Any]) -> None:
            nonlocal record
            record = await self._outbox.mark_progress(record.id, step, token)

        async def load_and_deliver() -> Mapping[str, Any]:
            # The files only for this attempt (a record never carries them otherwise).
            files = await self._outbox.read_files(record.id)
            loaded = dataclasses.replace(record, files=files) if files else record
            return await handler.deliver(loaded, record_step)

        try:
            result = await self._with_renewals(record, token, load_and_deliver())
        except LeaseLost:
            raise
        except Exception as exc:
            verdict = classify(exc)
            _release_frames(exc)
            if verdict.action == "reject":
                logger.warning(
                    "outbox record %s (%s) rejected: %s", record.id, record.kind, verdict.reason
                )
                await self._after_rejection(handler, record, verdict.reason, record_step)
                return await self._outbox.mark_rejected(
                    record.id, verdict.reason, token, drop_private=self._drop_private
                )
            if verdict.reason.startswith("internal_error"):
                logger.error(
                    "outbox record %s (%s): delivery failed with %s",
                    record.id,
                    record.kind,
                    type(exc).__name__,
                )

            async def give_up(reason: str) -> None:
                await self._after_rejection(handler, record, reason, record_step)

            return await self._retry(record, token, verdict.reason, give_up)
        delivered = await self._outbox.mark_delivered(
            record.id, result, token, drop_private=self._drop_private
        )
        logger.info(
            "outbox record %s (%s) delivered after %d attempt(s)",
            record.id,
            record.kind,
            record.attempts,
        )
        return delivered

    async def _after_rejection(
        self,
        handler: DeliveryHandler,
        record: OutboxRecord,
        reason: str,
        record_step: Callable[[Mapping[str, Any]], Awaitable[None]],
    ) -> None:
        """Let the handler explain what earlier steps left behind (best effort, logged)."""
        if not isinstance(handler, RejectionAware):
            return
        try:
            await handler.rejected(record, reason, record_step)
        except LeaseLost:
            raise
        except Exception as exc:
            logger.warning(
                "outbox record %s (%s): clean-up after the rejection failed (%s)",
                record.id,
                record.kind,
                classify(exc).reason,
            )

    async def _with_renewals(
        self, record: OutboxRecord, token: str, delivery: Coroutine[Any, Any, T]
    ) -> T:
        """Run ``delivery`` while renewing the record's lease; raise :class:`LeaseLost` (after
        cancelling it) when a renewal finds the claim taken over."""
        task = asyncio.ensure_future(delivery)
        lost = asyncio.Event()
        renewer = asyncio.create_task(self._renew_until_done(record, token, task, lost))
        try:
            return await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if lost.is_set() and (current is None or not current.cancelling()):
                raise LeaseLost("the lease was lost during the delivery") from None
            raise
        finally:
            renewer.cancel()
            task.cancel()  # a no-op once it ended; stops it if we are cancelled ourselves
            await asyncio.gather(renewer, task, return_exceptions=True)

    async def _renew_until_done(
        self, record: OutboxRecord, token: str, task: asyncio.Future[Any], lost: asyncio.Event
    ) -> None:
        while not task.done():
            await asyncio.sleep(self._renew_every_s)
            if task.done():
                return
            try:
                await self._outbox.renew_lease(
                    record.id, token, self._clock() + timedelta(seconds=self._lease_s)
                )
            except LeaseLost:
                logger.warning(
                    "outbox record %s: lease lost during delivery; abandoning it", record.id
                )
                lost.set()
                task.cancel()
                return
            except Exception:
                # The store hiccuped: try again next time (the lease has time left).
                logger.exception("outbox record %s: renewing the lease failed", record.id)

    async def _retry(
        self,
        record: OutboxRecord,
        token: str,
        reason: str,
        give_up: Callable[[str], Awaitable[None]] | None = None,
    ) -> OutboxRecord:
        now = self._clock()
        if self._max_age is not None and now - record.created_at >= self._max_age:
            logger.warning(
                "outbox record %s (%s): giving up after %d attempts",
                record.id,
                record.kind,
                record.attempts,
            )
            if give_up is not None:
                await give_up(f"gave_up: {reason}")
            return await self._outbox.mark_rejected(
                record.id, f"gave_up: {reason}", token, drop_private=self._drop_private
            )
        delay = timedelta(seconds=self._backoff.delay_s(record.attempts, self._rng))
        logger.info(
            "outbox record %s (%s): attempt %d failed (%s); next in %.1fs",
            record.id,
            record.kind,
            record.attempts,
            reason,
            delay.total_seconds(),
        )
        return await self._outbox.mark_retry(record.id, reason, now + delay, token)
