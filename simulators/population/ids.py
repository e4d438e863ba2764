"""Identifiers that encode where a record comes from, so every lookup is O(1) without a scan.

A property, case or invoice belongs to one generating person (its "owner index") and a slot in
that person's list; the ids below are arithmetic on (index, slot) and decode back. Public 360
recnos are 32-bit ints, which holds for populations up to about 250,000 people.
"""

from __future__ import annotations

import re

MAX_PROPERTY_SLOTS = 100
MAX_CASE_SLOTS = 128
MAX_DOCUMENTS_PER_CASE = 12
MAX_FILES_PER_DOCUMENT = 3
MAX_INVOICE_SLOTS = 64
MAX_METERS_PER_PROPERTY = 10
MAX_OBJECTS_PER_PROPERTY = 10  # buildings, addresses

_PROPERTY_ID_BASE = 10_000_000
_RECNOS_PER_CASE = 64  # 1 case + 12 documents × (1 + 3 files) ≤ 64
_INVOICE_NUMBER_BASE = 100_000_000
_BNR_PER_GNR = 1000

_MATRIKKELNUMMER = re.compile(r"^(\d{4})-(\d+)/(\d+)/(\d+)/(\d+)$")
_CASE_NUMBER = re.compile(r"^(\d{4})/(\d+)$")


# --- properties ----------------------------------------------------------------------------


def property_key(index: int, slot: int) -> int:
    """Dense number of (owner index, property slot)."""
    return index * MAX_PROPERTY_SLOTS + slot


def property_id(index: int, slot: int) -> int:
    """The Matrikkel id (MatrikkelenhetId) of a generated property."""
    return _PROPERTY_ID_BASE + property_key(index, slot)


def split_property_id(matrikkelenhet_id: int) -> tuple[int, int] | None:
    """(owner index, slot) of a property id, or None if it cannot be one."""
    key = matrikkelenhet_id - _PROPERTY_ID_BASE
    return None if key < 0 else divmod(key, MAX_PROPERTY_SLOTS)


def gnr_bnr(index: int, slot: int) -> tuple[int, int]:
    """Gårdsnummer/bruksnummer of a generated property (unique per property key)."""
    gnr, bnr = divmod(property_key(index, slot), _BNR_PER_GNR)
    return gnr + 1, bnr + 1


def split_matrikkelnummer(matrikkelnummer: str) -> tuple[int, int] | None:
    """(owner index, slot) a matrikkelnummer string decodes to, or None when malformed.
    The caller still compares the full string (kommune, fnr, snr) with the generated one."""
    match = _MATRIKKELNUMMER.match(matrikkelnummer.strip())
    if match is None:
        return None
    gnr, bnr = int(match.group(2)), int(match.group(3))
    if gnr < 1 or not 1 <= bnr <= _BNR_PER_GNR:
        return None
    return divmod((gnr - 1) * _BNR_PER_GNR + bnr - 1, MAX_PROPERTY_SLOTS)


def sub_id(matrikkelenhet_id: int, position: int) -> int:
    """Id of the `position`-th building/address of a property (ByggId, AdresseId)."""
    return matrikkelenhet_id * MAX_OBJECTS_PER_PROPERTY + position


def split_sub_id(object_id: int) -> tuple[int, int]:
    """(matrikkelenhet id, position) of a building/address id."""
    return divmod(object_id, MAX_OBJECTS_PER_PROPERTY)


def meter_number(matrikkelenhet_id: int, position: int) -> str:
    """The meter number of the `position`-th meter of a property."""
    return str(matrikkelenhet_id * MAX_METERS_PER_PROPERTY + position)


def split_meter_number(number: str) -> tuple[int, int] | None:
    """(matrikkelenhet id, position) of a meter number, or None when malformed."""
    if not number.isdigit():
        return None
    return divmod(int(number), MAX_METERS_PER_PROPERTY)


# --- Public 360 ----------------------------------------------------------------------------


def case_key(index: int, slot: int) -> int:
    """Dense number of (party index, case slot); also the case number's sequence part."""
    return index * MAX_CASE_SLOTS + slot


def case_recno(key: int) -> int:
    """Recno of a generated case."""
    return (key + 1) * _RECNOS_PER_CASE


def document_recno(key: int, position: int) -> int:
    """Recno of the `position`-th document of a generated case."""
    return case_recno(key) + 1 + position * (1 + MAX_FILES_PER_DOCUMENT)


def file_recno(key: int, position: int, file_position: int) -> int:
    """Recno of a file of a generated document."""
    return document_recno(key, position) + 1 + file_position


def split_recno(recno: int) -> tuple[int, int | None, int | None] | None:
    """(case key, document position or None, file position or None) of a generated recno."""
    block, offset = divmod(recno, _RECNOS_PER_CASE)
    if block < 1:
        return None
    if offset == 0:
        return block - 1, None, None
    position, inner = divmod(offset - 1, 1 + MAX_FILES_PER_DOCUMENT)
    if position >= MAX_DOCUMENTS_PER_CASE:
        return None
    return block - 1, position, (inner - 1 if inner else None)


def first_free_recno(size: int) -> int:
    """The first recno above every generated one (for cases/documents created at run time)."""
    return case_recno(size * MAX_CASE_SLOTS) + _RECNOS_PER_CASE


def format_case_number(year: int, sequence: int) -> str:
    """``2024/01234`` (at least five digits)."""
    return f"{year}/{sequence:05d}"


def split_case_number(case_number: str) -> tuple[int, int] | None:
    """(year, sequence) of a case number, or None when malformed."""
    match = _CASE_NUMBER.match(case_number.strip())
    return None if match is None else (int(match.group(1)), int(match.group(2)))


# --- invoices ------------------------------------------------------------------------------


def invoice_number(index: int, slot: int) -> str:
    """Fakturanummer of a generated invoice."""
    return str(_INVOICE_NUMBER_BASE + index * MAX_INVOICE_SLOTS + slot)


def split_invoice_number(number: str) -> tuple[int, int] | None:
    """(customer index, slot) of an invoice number, or None when malformed."""
    if not number.isdigit() or int(number) < _INVOICE_NUMBER_BASE:
        return None
    return divmod(int(number) - _INVOICE_NUMBER_BASE, MAX_INVOICE_SLOTS)
