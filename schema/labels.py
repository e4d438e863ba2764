"""Norwegian (nb, nn) and English labels of enum values.

Enums are English in the API; each enum-valued field has a sibling ``…Label`` field with the
label in the request's language (Accept-Language).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import NamedTuple, TypeVar

from kernel.i18n import Language


class Label(NamedTuple):
    """One value's label in the three languages of Min side."""

    nb: str
    nn: str
    en: str

    def in_language(self, language: Language) -> str:
        text: str = getattr(self, language.value)
        return text


E = TypeVar("E", bound=Enum)


def label(labels: Mapping[E, Label], value: E, language: Language) -> str:
    """The label of `value` in `language` (every enum value must have one: tests check)."""
    return labels[value].in_language(language)
