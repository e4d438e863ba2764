"""Which journal entries of a case the citizen may see: the document visibility rule.

A case's journal holds more than the letters exchanged with its party: internal notes
("Saksutredning"), drafts not yet journalført, and entries exempt from access. Only what the
rule allows reaches the citizen — in a case's ``documents`` and ``decision``, in ``node(id:)``
and in file downloads — and a hidden entry answers exactly like one that does not exist.

The rule is configuration (``MINSIDE_DOCUMENT_VISIBILITY_FILE``, default
``config/document_visibility.toml``), read and checked once at start-up; the codes are the
archive's own (Noark 5 journalposttype, journalstatus, tilgangskode as Public 360 reports them).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from connectors.p360.models import Document, DocumentFile
from kernel.config_files import load_toml_model

__all__ = ["VARIABLE", "DocumentVisibility", "load_document_visibility"]

VARIABLE = "MINSIDE_DOCUMENT_VISIBILITY_FILE"


def _key(code: str | None) -> str:
    return (code or "").strip().casefold()


class DocumentVisibility(BaseModel):
    """The rule: a document is shown when its category (or type) is listed, its journal status
    is final, and it has no access code or one that does not keep it from the party."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    categories: frozenset[str] = Field(
        min_length=1, description="Category.Code (journalposttype) of documents shown."
    )
    types: frozenset[str] = Field(
        frozenset(), description="Type.Code of documents shown whatever their category."
    )
    final_statuses: frozenset[str] = Field(
        min_length=1, description="StatusCode (journalstatus) of a finished journal entry."
    )
    party_access_codes: frozenset[str] = Field(
        frozenset(), description="Access codes that do not keep a document from its party."
    )

    @field_validator("categories", "types", "final_statuses", "party_access_codes", mode="before")
    @classmethod
    def _normalised(cls, value: Any) -> Any:
        if isinstance(value, list | tuple | set | frozenset):
            codes = [_key(code) if isinstance(code, str) else code for code in value]
            if "" in codes:
                raise ValueError("codes must not be blank")
            return frozenset(codes)
        return value

    def _accessible(self, access_code: str | None) -> bool:
        code = _key(access_code)
        return not code or code in self.party_access_codes

    def shows(self, document: Document) -> bool:
        """True when the citizen may see `document` (its files are checked by :meth:`files`)."""
        listed = _key(document.category_code) in self.categories or (
            bool(document.type_code) and _key(document.type_code) in self.types
        )
        return (
            listed
            and _key(document.status_code) in self.final_statuses
            and self._accessible(document.access_code)
        )

    def files(self, document: Document) -> tuple[DocumentFile, ...]:
        """The files of a shown document the citizen may open (exempt attachments dropped)."""
        return tuple(file for file in document.files if self._accessible(file.access_code))

    def visible(self, documents: Iterable[Document]) -> list[Document]:
        """The documents the citizen may see, in the given order, each with only its visible
        files."""
        shown = []
        for document in documents:
            if not self.shows(document):
                continue
            files = self.files(document)
            shown.append(document if files == document.files else replace(document, files=files))
        return shown


def load_document_visibility(path: Path) -> DocumentVisibility:
    """Read and validate the rule; a :class:`~kernel.settings.SettingsError` names the file."""
    return load_toml_model(path, DocumentVisibility, VARIABLE)
