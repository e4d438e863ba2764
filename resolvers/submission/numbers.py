"""Decimal numbers as a citizen types them: ASCII digits, ``,`` or ``.`` as the decimal sign.

Python's ``\\d``, ``int()`` and ``Decimal()`` take any Unicode decimal digit (``"２１５０"``,
``"١٢٣"``), and ``Decimal()`` also ``"1_000"``, ``"1e3"`` and ``"NaN"``. The registers the
submissions go to, and the case officers reading a form, expect 0-9 only; so anything else is
refused here (INVALID_FORMAT, with :func:`number_format_hint` saying what to type) instead of
being converted silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from kernel.i18n import Language

__all__ = ["ParsedDecimal", "number_format_hint", "parse_decimal"]

# [0-9], not \d: in a str pattern \d is any Unicode decimal digit unless re.ASCII is set.
_DECIMAL: Final = re.compile(r"([+-]?)([0-9]+)(?:[.,]([0-9]+))?", re.ASCII)

_HINTS: Final = {
    Language.NB: "bruk sifrene 0–9, med , eller . som desimaltegn",
    Language.NN: "bruk sifra 0–9, med , eller . som desimalteikn",
    Language.EN: "use the digits 0–9, with , or . as the decimal sign",
}


@dataclass(frozen=True)
class ParsedDecimal:
    """A number the citizen typed, with its digits as typed (for precision limits)."""

    value: Decimal
    integer_digits: str  # as typed, leading zeros included
    decimal_digits: str  # as typed, trailing zeros included ("" without a decimal sign)


def parse_decimal(text: str) -> ParsedDecimal | None:
    """`text` (the whole of it, no blanks) as a number of ASCII digits with an optional sign and
    one ``,`` or ``.`` between digits; None when it is anything else."""
    match = _DECIMAL.fullmatch(text)
    if match is None:
        return None
    sign, integer, decimals = match.group(1), match.group(2), match.group(3) or ""
    value = Decimal(f"{sign}{integer}.{decimals}" if decimals else f"{sign}{integer}")
    return ParsedDecimal(value, integer, decimals)


def number_format_hint(language: Language) -> str:
    """What a number must look like, in `language` (the detail of an INVALID_FORMAT)."""
    return _HINTS[language]
