"""Numbers a citizen types (meter values, NUMBER fields): ASCII digits 0-9 with ``,`` or ``.``
as the decimal sign, nothing else.

Python's ``\\d``, ``int`` and ``Decimal`` take any Unicode decimal digit (``"２１５０"``,
``"١٢٣"``); the register and the case officers would not. Such input is refused with
INVALID_FORMAT and a message that says what to type.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from kernel.errors import SubmissionErrorCode
from kernel.i18n import Language
from resolvers.application_types import FieldSpec, FieldType
from resolvers.submission.application import _typed_value
from resolvers.submission.meter_reading import parse_reading_value
from resolvers.submission.numbers import number_format_hint, parse_decimal

NOT_ASCII = [
    "２１５０",  # fullwidth
    "١٢٣",  # Arabic-Indic
    "۱۲۳",  # extended Arabic-Indic (Persian)
    "१२३",  # Devanagari
    "12٫5",  # Arabic decimal separator
    "1２",  # one fullwidth digit among ASCII ones
    "12,５",
    "𝟏𝟐",  # mathematical bold
    "1 000",
    "1\u00a0000",
    "1_000",
    "12.",
    ".5",
    "1,2,3",
    "0x10",
    "1e3",
    "Infinity",
    "NaN",
    "",
]

ACCEPTED = [
    ("2150", Decimal("2150")),
    ("2150,5", Decimal("2150.5")),
    ("2150.5", Decimal("2150.5")),
    ("+3", Decimal(3)),
    ("007", Decimal(7)),
]

NUMBER_FIELD = FieldSpec.model_validate(
    {
        "key": "volume_m3",
        "label": {"nb": "Volum", "nn": "Volum", "en": "Volume"},
        "type": FieldType.NUMBER,
        "minimum": "0",
        "maximum": "100000",
    }
)


@pytest.mark.parametrize("text", NOT_ASCII)
def test_a_meter_value_of_other_digits_or_signs_is_an_invalid_format(text: str) -> None:
    assert parse_reading_value(text) == (None, SubmissionErrorCode.INVALID_FORMAT)


@pytest.mark.parametrize("text", [t for t in NOT_ASCII if t.strip()])  # blank: not answered
def test_a_number_field_of_other_digits_or_signs_is_an_invalid_format(text: str) -> None:
    value, code, detail = _typed_value(NUMBER_FIELD, text, Language.EN)
    assert (value, code) == (None, SubmissionErrorCode.INVALID_FORMAT)
    assert detail == number_format_hint(Language.EN)


@pytest.mark.parametrize(("text", "expected"), ACCEPTED)
def test_ascii_digits_with_comma_or_point_are_accepted(text: str, expected: Decimal) -> None:
    assert parse_reading_value(text) == (expected, None)
    assert parse_reading_value(f"  {text} ") == (expected, None)
    assert _typed_value(NUMBER_FIELD, text, Language.NB) == (format(expected, "f"), None, None)
    parsed = parse_decimal(text)
    assert parsed is not None and parsed.value == expected


@pytest.mark.parametrize("text", NOT_ASCII)
def test_parse_decimal_refuses_what_is_not_ascii_digits(text: str) -> None:
    assert parse_decimal(text) is None
    assert parse_decimal("12\n") is None  # the whole text, not up to a line end


def test_the_hint_says_what_to_type_in_each_language() -> None:
    for language in Language:
        hint = number_format_hint(language)
        assert "0–9" in hint and "," in hint and "." in hint
