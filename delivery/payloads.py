"""What an outbox record's ``payload`` holds for each kind: the contract between the mutations
(which build and accept it) and the delivery handlers (which send it).

Payloads are plain JSON objects so any store keeps them as they are; these dataclasses convert
both ways and validate on the way back (:class:`InvalidPayload` ends a record as ``REJECTED``:
a payload that cannot be read now never will be).

``meter_reading`` (no personal data)::

    {"meter_number": "M-1234-1", "value": "1234.5", "read_on": "2026-06-01", "comment": null}

``application``: the receipt's part is the payload, the applicant's fødselsnummer (needed for
the Sakspart) goes to the record's ``private`` data and the file bytes to the record's files,
each once, by SHA-256 (:meth:`ApplicationPayload.to_write`); the outbox drops both once the
record is final::

    payload: {"type_code": "PARKING_PERMIT", "title": "Søknad om parkeringstillatelse",
              "case_kind": "APPLICATION", "matrikkelnummer": "3030-12/45/0/0" | null,
              "fields": [{"key": "plate", "value": "EL12345"}, ...],
              "files": [{"name": "soknad.pdf", "content_type": "application/pdf",
                         "sha256": "<hex>", "size": 12345}, ...]}
    private: {"applicant_pid": "<11 digits>"}

A payload of outbox schema 2 (``applicant_pid`` and ``data_base64`` inline) is still read.

The mutation generates the PDF of the form itself and puts it *first* in ``files``; uploaded
attachments follow. Delivery makes one 360 case (``CreateCase``: ``title``, the case kind, the
applicant as unofficial Sakspart, the record's delivery key as ``ExternalId``) and one incoming
document on it (``CreateDocument``: ``title``, every file, the applicant as sender, the delivery
key as ``SendersReference``). ``fields`` travel in the payload for the record's own sake (the
receipt, listing pending applications); the case officer reads them in the form PDF.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from connectors.p360.models import CaseKind
from stores.outbox import OutboxRecord, OutboxWrite, file_key

__all__ = [
    "ApplicationField",
    "ApplicationFile",
    "ApplicationPayload",
    "InvalidPayload",
    "MeterReadingPayload",
]

# 360's Format is a file extension; content types the gateway accepts map to one.
FORMAT_BY_CONTENT_TYPE: Final[dict[str, str]] = {
    "application/pdf": "pdf",
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/tiff": "tif",
    "text/plain": "txt",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
}


class InvalidPayload(ValueError):
    """A stored payload does not have the shape of its kind (names the field, never a value)."""


def _text(raw: Mapping[str, Any], name: str, *, optional: bool = False) -> Any:
    value = raw.get(name)
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value.strip():
        raise InvalidPayload(f"payload field {name!r} must be a non-empty string")
    return value


def _object(raw: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(raw, Mapping):
        raise InvalidPayload(f"{what} must be a JSON object")
    return raw


@dataclass(frozen=True)
class MeterReadingPayload:
    """A water-meter reading to register (``kind="meter_reading"``)."""

    meter_number: str
    value: Decimal
    read_on: date
    comment: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The payload to give :meth:`stores.outbox.Outbox.accept`."""
        return {
            "meter_number": self.meter_number,
            "value": format(self.value, "f"),
            "read_on": self.read_on.isoformat(),
            "comment": self.comment,
        }

    @classmethod
    def from_json(cls, raw: Any) -> MeterReadingPayload:
        """Read a stored payload; raises :class:`InvalidPayload`."""
        raw = _object(raw, "a meter reading payload")
        try:
            value = Decimal(_text(raw, "value"))
            read_on = date.fromisoformat(_text(raw, "read_on"))
        except (InvalidOperation, ValueError) as exc:
            raise InvalidPayload("payload value or read_on is malformed") from exc
        comment = raw.get("comment")
        if comment is not None and not isinstance(comment, str):
            raise InvalidPayload("payload field 'comment' must be a string or null")
        return cls(_text(raw, "meter_number"), value, read_on, comment)


@dataclass(frozen=True)
class ApplicationField:
    """One answer of the application form, as typed key/value text."""

    key: str
    value: str


@dataclass(frozen=True)
class ApplicationFile:
    """A file of the application's document: the form PDF or an attachment."""

    name: str
    content_type: str
    data: bytes = field(repr=False)

    @property
    def format(self) -> str:
        """360's ``Format`` (an extension): from the content type, else the name, else "bin"."""
        known = FORMAT_BY_CONTENT_TYPE.get(self.content_type.split(";")[0].strip().lower())
        if known is not None:
            return known
        stem, dot, extension = self.name.rpartition(".")
        return extension.lower() if dot and stem and extension.isalnum() else "bin"

    @property
    def title(self) -> str:
        """The file's title in 360: its name without the extension 360 adds back."""
        suffix = f".{self.format}"
        return self.name[: -len(suffix)] if self.name.lower().endswith(suffix) else self.name


@dataclass(frozen=True)
class ApplicationPayload:
    """An application to deliver to Public 360 (``kind="application"``); see the module
    docstring for the JSON and for what goes into ``CreateCase`` and ``CreateDocument``."""

    type_code: str
    title: str
    applicant_pid: str = field(repr=False)
    fields: tuple[ApplicationField, ...]
    files: tuple[ApplicationFile, ...]
    matrikkelnummer: str | None = None
    case_kind: CaseKind = CaseKind.APPLICATION

    @property
    def case_title(self) -> str:
        """The case's title: the application's, with the property when there is one."""
        if self.matrikkelnummer is None:
            return self.title
        return f"{self.title} – {self.matrikkelnummer}"

    def to_write(self) -> OutboxWrite:
        """What to give :meth:`stores.outbox.Outbox.accept` (see the module docstring)."""
        return OutboxWrite(
            payload={
                "type_code": self.type_code,
                "title": self.title,
                "case_kind": self.case_kind.value,
                "matrikkelnummer": self.matrikkelnummer,
                "fields": [{"key": item.key, "value": item.value} for item in self.fields],
                "files": [
                    {
                        "name": file.name,
                        "content_type": file.content_type,
                        "sha256": file_key(file.data),
                        "size": len(file.data),
                    }
                    for file in self.files
                ],
            },
            private={"applicant_pid": self.applicant_pid},
            files=tuple(file.data for file in self.files),
        )

    @classmethod
    def from_record(cls, record: OutboxRecord) -> ApplicationPayload:
        """Read a claimed record (its files loaded); raises :class:`InvalidPayload`, e.g. when
        the private data or a file is gone."""
        return cls.from_json(record.payload, record.private, record.files)

    @classmethod
    def from_json(
        cls,
        raw: Any,
        private: Mapping[str, Any] | None = None,
        files_by_key: Mapping[str, bytes] | None = None,
    ) -> ApplicationPayload:
        """Read a stored payload with its private data and files (a schema-2 payload holds
        both inline); raises :class:`InvalidPayload`."""
        raw = _object(raw, "an application payload")
        pid_source = private if private is not None else raw
        try:
            kind = CaseKind(raw.get("case_kind", CaseKind.APPLICATION.value))
        except ValueError as exc:
            raise InvalidPayload("payload field 'case_kind' is not a case kind") from exc
        raw_fields = raw.get("fields", [])
        raw_files = raw.get("files")
        if not isinstance(raw_fields, list) or not isinstance(raw_files, list) or not raw_files:
            raise InvalidPayload("payload needs a fields list and a non-empty files list")
        fields = tuple(
            ApplicationField(_text(item, "key"), str(_object(item, "a field").get("value", "")))
            for item in (_object(entry, "a field") for entry in raw_fields)
        )
        files = []
        for entry in raw_files:
            item = _object(entry, "a file")
            if "data_base64" in item:  # schema 2: inline
                try:
                    data = base64.b64decode(_text(item, "data_base64"), validate=True)
                except (binascii.Error, ValueError) as exc:
                    raise InvalidPayload("a file's data_base64 is not base64") from exc
            else:
                stored = (files_by_key or {}).get(_text(item, "sha256"))
                if stored is None:
                    raise InvalidPayload("a file of the payload is not stored (dropped?)")
                data = stored
            files.append(ApplicationFile(_text(item, "name"), _text(item, "content_type"), data))
        return cls(
            type_code=_text(raw, "type_code"),
            title=_text(raw, "title"),
            applicant_pid=_text(pid_source, "applicant_pid"),
            fields=fields,
            files=tuple(files),
            matrikkelnummer=_text(raw, "matrikkelnummer", optional=True),
            case_kind=kind,
        )
