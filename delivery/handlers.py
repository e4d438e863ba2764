"""Delivery handlers: how one outbox record of a kind is sent to its back-office system.

A handler sends the record with :attr:`~stores.outbox.OutboxRecord.delivery_key` as the
back-office idempotency key, so repeating a delivery (after a lost answer, a crash, an expired
lease) never creates a second reading, case or document. It returns the result to store, or
raises: connector errors (the worker sorts them into retry or rejection, see
:mod:`delivery.classify`) or :class:`PermanentDeliveryError` for a record that can never be sent.

Multi-step deliveries record each finished step with the ``record_step`` callback (durably,
before the next step starts) and, when run again, skip the steps already in ``record.progress``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final, Protocol, runtime_checkable

from connectors.fees.client import FeesClient
from connectors.p360.client import P360Client
from connectors.p360.models import DocumentDirection, NewFile
from delivery.payloads import ApplicationPayload, InvalidPayload, MeterReadingPayload
from stores.outbox import OutboxRecord

__all__ = [
    "ApplicationDelivery",
    "DeliveryHandler",
    "MeterReadingDelivery",
    "PermanentDeliveryError",
    "RejectionAware",
    "StepRecorder",
]

#: Title of the internal note filed on a case whose application document could not be filed.
ORPHAN_NOTE_TITLE: Final = "Min side: søknadsdokumentet kunne ikke arkiveres"

#: Durably merge one step's result into the record's progress (``Outbox.mark_progress``).
StepRecorder = Callable[[Mapping[str, Any]], Awaitable[None]]


class PermanentDeliveryError(Exception):
    """The record can never be delivered (e.g. its payload is unreadable): reject it.

    ``code`` is a short machine-readable reason; the message must not carry personal data.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class DeliveryHandler(Protocol):
    """Sends records of one kind; see the module docstring."""

    async def deliver(self, record: OutboxRecord, record_step: StepRecorder) -> Mapping[str, Any]:
        """Deliver ``record`` and return the result to store with ``DELIVERED``."""
        ...


@runtime_checkable
class RejectionAware(Protocol):
    """A handler that cleans up after a record it was delivering is rejected for good (called
    by the worker before it stores ``REJECTED``, while the claim is still current)."""

    async def rejected(self, record: OutboxRecord, reason: str, record_step: StepRecorder) -> None:
        """Explain or undo what earlier steps left in the back-office; may raise (logged)."""
        ...


class MeterReadingDelivery:
    """Registers a water-meter reading in the fee/meter register (one idempotent call).

    Result: ``receipt_id``, ``meter_number``, ``value``, ``read_on``, ``registered_at``,
    ``consumption_since_last`` (or None) and ``replayed`` (the register had it already).
    """

    def __init__(self, fees: FeesClient) -> None:
        self._fees = fees

    async def deliver(self, record: OutboxRecord, record_step: StepRecorder) -> Mapping[str, Any]:
        """See :class:`DeliveryHandler`."""
        try:
            reading = MeterReadingPayload.from_json(record.payload)
        except InvalidPayload as exc:
            raise PermanentDeliveryError("invalid_payload", str(exc)) from exc
        accepted = await self._fees.submit_reading(
            reading.meter_number,
            reading.value,
            reading.read_on,
            idempotency_key=record.delivery_key,
            comment=reading.comment,
        )
        since = accepted.consumption_since_last
        return {
            "receipt_id": accepted.receipt_id,
            "meter_number": accepted.meter_number,
            "value": format(accepted.value_m3, "f"),
            "read_on": accepted.read_on.isoformat(),
            "registered_at": accepted.registered_at.isoformat(),
            "consumption_since_last": None if since is None else format(since, "f"),
            "replayed": accepted.replayed,
        }


class ApplicationDelivery:
    """Files an application in Public 360: ``CreateCase``, then ``CreateDocument`` with files.

    After ``CreateCase`` the case number is recorded as progress (``case_number``,
    ``case_recno``), so a delivery resumed after a crash goes straight to ``CreateDocument``.
    Both calls are idempotent by the record's delivery key anyway (``ExternalId`` and
    ``SendersReference``), so a crash between the call and the recording is harmless too.

    Result: ``case_number``, ``case_recno``, ``document_number``, ``document_recno``.

    When the document is refused for good after the case was made (the archive refuses a file,
    say), :meth:`rejected` files an internal note on the case (no attachments, no personal
    data: the reason code) so the case officer finds the empty case explained; its document
    number is recorded as ``case_note`` progress.
    """

    def __init__(self, p360: P360Client) -> None:
        self._p360 = p360

    async def deliver(self, record: OutboxRecord, record_step: StepRecorder) -> Mapping[str, Any]:
        """See :class:`DeliveryHandler`."""
        try:
            application = ApplicationPayload.from_record(record)
        except InvalidPayload as exc:
            raise PermanentDeliveryError("invalid_payload", str(exc)) from exc
        case_number = record.progress.get("case_number")
        case_recno = record.progress.get("case_recno")
        if not isinstance(case_number, str):
            created = await self._p360.create_case(
                pid=application.applicant_pid,
                title=application.case_title,
                idempotency_key=record.delivery_key,
                kind=application.case_kind,
            )
            case_number, case_recno = created.case_number, created.recno
            await record_step({"case_number": case_number, "case_recno": case_recno})
        document = await self._p360.create_document(
            case_number=case_number,
            title=application.title,
            files=[NewFile(file.title, file.format, file.data) for file in application.files],
            idempotency_key=record.delivery_key,
            sender_pid=application.applicant_pid,
        )
        return {
            "case_number": case_number,
            "case_recno": case_recno,
            "document_number": document.document_number,
            "document_recno": document.recno,
        }

    async def rejected(self, record: OutboxRecord, reason: str, record_step: StepRecorder) -> None:
        """See :class:`RejectionAware`: a note on the case left without its document."""
        case_number = record.progress.get("case_number")
        if not isinstance(case_number, str) or "case_note" in record.progress:
            return
        text = (
            "Min side opprettet denne saken for en søknad, men arkivet avviste "
            "søknadsdokumentet, så saken er uten dokument. Innbyggeren har fått beskjed om at "
            f"søknaden er avvist og må sendes på nytt.\n\nÅrsak: {reason}\n"
            f"Referanse: {record.delivery_key}\n"
        )
        note = await self._p360.create_document(
            case_number=case_number,
            title=ORPHAN_NOTE_TITLE,
            files=[NewFile("merknad", "txt", text.encode())],
            idempotency_key=f"{record.delivery_key}-note",
            direction=DocumentDirection.INTERNAL,
        )
        await record_step({"case_note": note.document_number})
