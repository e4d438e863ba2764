"""The catalogue of application types a citizen can submit (``submitApplication``).

Loaded and validated once at start-up from a TOML file (``MINSIDE_APPLICATION_TYPES_FILE``,
default ``config/application_types.toml``); a bad file stops the gateway with a
:class:`~kernel.settings.SettingsError` that names the file and the entry. Each type says
which form fields it has (typed: text, number, date, yes/no, a choice), which attachments it
takes (content types and size), the level of assurance it needs and the kind of Public 360
case it files.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from connectors.p360.models import CaseKind
from kernel.config_files import dotted, duplicates, load_toml_model
from kernel.external_services import LevelOfAssuranceName, LocalizedText
from kernel.settings import SettingsError

__all__ = [
    "ApplicationType",
    "ApplicationTypeCatalogue",
    "AttachmentSpec",
    "ChoiceOption",
    "FieldSpec",
    "FieldType",
    "load_application_types",
]

VARIABLE = "MINSIDE_APPLICATION_TYPES_FILE"
KEY_PATTERN = r"^[a-z][a-z0-9_]*$"
# What the archive can file and a case officer can open; anything else is refused in config.
ALLOWED_CONTENT_TYPES = frozenset(
    {
        "application/pdf",
        "image/jpeg",
        "image/png",
        "image/tiff",
        "text/plain",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    }
)


class FieldType(StrEnum):
    """How a form field's value is typed and checked."""

    TEXT = "TEXT"
    NUMBER = "NUMBER"
    DATE = "DATE"
    BOOLEAN = "BOOLEAN"
    CHOICE = "CHOICE"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ChoiceOption(_Strict):
    """One allowed value of a CHOICE field."""

    value: str = Field(min_length=1, pattern=r"^[A-Z][A-Z0-9_]*$")
    label: LocalizedText


class FieldSpec(_Strict):
    """One field of an application form."""

    key: str = Field(min_length=1, max_length=40, pattern=KEY_PATTERN)
    label: LocalizedText
    type: FieldType
    required: bool = False
    max_length: int | None = Field(None, ge=1, le=10_000)
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    options: tuple[ChoiceOption, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.type is FieldType.CHOICE:
            if not self.options:
                raise ValueError("a CHOICE field needs options")
            values = [option.value for option in self.options]
            if len(set(values)) != len(values):
                raise ValueError("CHOICE options must have distinct values")
        elif self.options:
            raise ValueError("only a CHOICE field has options")
        if (self.minimum is not None or self.maximum is not None) and (
            self.type is not FieldType.NUMBER
        ):
            raise ValueError("only a NUMBER field has minimum/maximum")
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            raise ValueError("minimum must not exceed maximum")
        if self.max_length is not None and self.type is not FieldType.TEXT:
            raise ValueError("only a TEXT field has max_length")
        return self

    @property
    def effective_max_length(self) -> int:
        """The longest value accepted: the configured one, else a bound per type."""
        if self.max_length is not None:
            return self.max_length
        return 1000 if self.type is FieldType.TEXT else 100


class AttachmentSpec(_Strict):
    """A kind of attachment an application takes (e.g. a map, a photo)."""

    key: str = Field(min_length=1, max_length=40, pattern=KEY_PATTERN)
    label: LocalizedText
    required: bool = False
    content_types: tuple[str, ...] = Field(min_length=1)
    max_bytes: int = Field(ge=1, le=200 * 1024 * 1024)
    max_files: int = Field(1, ge=1, le=20)

    @model_validator(mode="after")
    def _known_types(self) -> Self:
        unknown = sorted(set(self.content_types) - ALLOWED_CONTENT_TYPES)
        if unknown:
            raise ValueError(f"content types the archive does not take: {unknown}")
        return self


class ApplicationType(_Strict):
    """One application type of the catalogue."""

    code: str = Field(min_length=1, max_length=40, pattern=r"^[A-Z][A-Z0-9_]*$")
    name: LocalizedText
    description: LocalizedText
    case_kind: CaseKind
    minimum_level_of_assurance: LevelOfAssuranceName
    property_required: bool = False
    fields: tuple[FieldSpec, ...] = ()
    attachments: tuple[AttachmentSpec, ...] = ()

    @model_validator(mode="after")
    def _unique_keys(self) -> Self:
        for what, keys in (
            ("field", [f.key for f in self.fields]),
            ("attachment", [a.key for a in self.attachments]),
        ):
            duplicates = sorted({k for k in keys if keys.count(k) > 1})
            if duplicates:
                raise ValueError(f"duplicate {what} keys {duplicates}")
        return self

    def field(self, key: str) -> FieldSpec | None:
        """The field with this key, or None."""
        return next((spec for spec in self.fields if spec.key == key), None)

    def attachment(self, key: str) -> AttachmentSpec | None:
        """The attachment kind with this key, or None."""
        return next((spec for spec in self.attachments if spec.key == key), None)


class _CatalogueFile(_Strict):
    type: tuple[ApplicationType, ...] = ()


@dataclass(frozen=True)
class ApplicationTypeCatalogue:
    """The validated, ordered application types."""

    types: tuple[ApplicationType, ...]

    def get(self, code: str) -> ApplicationType | None:
        """The type with this code, or None."""
        return next((kind for kind in self.types if kind.code == code), None)


def _locate(raw: dict[str, Any], loc: Sequence[int | str]) -> str:
    # Name an entry by its code when the file has one there, else by its position.
    if len(loc) >= 2 and loc[0] == "type" and isinstance(loc[1], int):
        entries = raw.get("type")
        name = f"type #{loc[1]}"
        if isinstance(entries, list) and loc[1] < len(entries):
            entry = entries[loc[1]]
            if isinstance(entry, dict) and isinstance(entry.get("code"), str):
                name = f"type {entry['code']!r}"
        return f"{name}: " + ".".join(str(part) for part in loc[2:])
    return dotted(raw, loc)


def load_application_types(path: Path) -> ApplicationTypeCatalogue:
    """Read and validate the catalogue; a :class:`SettingsError` names the file and the entry."""
    parsed = load_toml_model(path, _CatalogueFile, VARIABLE, _locate)
    repeated = duplicates([kind.code for kind in parsed.type])
    if repeated:
        raise SettingsError(f"{VARIABLE}: {path}: duplicate application type codes {repeated}")
    return ApplicationTypeCatalogue(parsed.type)
