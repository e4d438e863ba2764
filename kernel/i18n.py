"""Languages of Min side (nb, nn, en) and the choice of one from an Accept-Language header."""

from __future__ import annotations

from enum import StrEnum


class Language(StrEnum):
    """A language Min side answers in; Bokmål is the default."""

    NB = "nb"
    NN = "nn"
    EN = "en"


DEFAULT_LANGUAGE = Language.NB

# Browsers send "no" or "nb-NO" for Norwegian Bokmål and "nn-NO" for Nynorsk.
_ALIASES = {"nb": Language.NB, "no": Language.NB, "nn": Language.NN, "en": Language.EN}


def choose_language(accept_language: str | None) -> Language:
    """Pick the best supported language from an RFC 9110 Accept-Language header value."""
    if not accept_language:
        return DEFAULT_LANGUAGE
    candidates: list[tuple[float, int, Language]] = []
    for position, item in enumerate(accept_language.split(",")):
        tag, _, params = item.strip().partition(";")
        weight = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        language = _ALIASES.get(tag.strip().lower().split("-")[0])
        if language is not None and weight > 0:
            candidates.append((-weight, position, language))
    if not candidates:
        return DEFAULT_LANGUAGE
    return min(candidates)[2]
