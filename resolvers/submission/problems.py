"""Validation problems of a citizen's submission: a field, a code and a message in nb/nn/en.

Validation collects every problem before any side effect, so the citizen sees them all at once;
the schema turns the list into ``Submit…Errors``. Messages never quote a fødselsnummer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from kernel.errors import SubmissionErrorCode
from kernel.i18n import Language

__all__ = ["Problem", "Problems", "message"]


class _Text(NamedTuple):
    nb: str
    nn: str
    en: str


# Generic texts; a problem may add a detail (a date, a limit) after them.
MESSAGES: dict[SubmissionErrorCode, _Text] = {
    SubmissionErrorCode.REQUIRED: _Text("Må fylles ut.", "Må fyllast ut.", "Required."),
    SubmissionErrorCode.INVALID_FORMAT: _Text(
        "Ugyldig format.", "Ugyldig format.", "Invalid format."
    ),
    SubmissionErrorCode.OUT_OF_RANGE: _Text(
        "Verdien er utenfor tillatt område.",
        "Verdien er utanfor tillate område.",
        "The value is out of range.",
    ),
    SubmissionErrorCode.TOO_LONG: _Text(
        "Teksten er for lang.", "Teksten er for lang.", "Too long."
    ),
    SubmissionErrorCode.NOT_FOUND: _Text(
        "Finnes ikke blant dine eiendommer.",
        "Finst ikkje blant eigedommane dine.",
        "Not found among your properties.",
    ),
    SubmissionErrorCode.METER_REPLACED: _Text(
        "Måleren er byttet; registrer standen på den nye måleren.",
        "Målaren er bytt; registrer standen på den nye målaren.",
        "The meter has been replaced; register the reading on the new meter.",
    ),
    SubmissionErrorCode.DATE_IN_FUTURE: _Text(
        "Datoen kan ikke være fram i tid.",
        "Datoen kan ikkje vere fram i tid.",
        "The date cannot be in the future.",
    ),
    SubmissionErrorCode.DATE_BEFORE_LAST_READING: _Text(
        "Datoen er før forrige avlesning.",
        "Datoen er før førre avlesing.",
        "The date is before the last reading.",
    ),
    SubmissionErrorCode.VALUE_BELOW_LAST_READING: _Text(
        "Standen er lavere enn forrige avlesning.",
        "Standen er lågare enn førre avlesing.",
        "The reading is lower than the last one.",
    ),
    SubmissionErrorCode.UNUSUAL_CONSUMPTION: _Text(
        "Uvanlig høyt forbruk. Kontroller standen, eller bekreft at den stemmer.",
        "Uvanleg høgt forbruk. Kontroller standen, eller stadfest at han stemmer.",
        "Unusually high consumption. Check the reading, or confirm that it is right.",
    ),
    SubmissionErrorCode.UNKNOWN_TYPE: _Text(
        "Ukjent søknadstype.", "Ukjend søknadstype.", "Unknown application type."
    ),
    SubmissionErrorCode.UNKNOWN_FIELD: _Text(
        "Feltet hører ikke til skjemaet.",
        "Feltet høyrer ikkje til skjemaet.",
        "The field is not part of the form.",
    ),
    SubmissionErrorCode.DUPLICATE_FIELD: _Text(
        "Feltet er oppgitt flere ganger.",
        "Feltet er oppgitt fleire gonger.",
        "The field is given more than once.",
    ),
    SubmissionErrorCode.INVALID_CHOICE: _Text(
        "Ugyldig valg.", "Ugyldig val.", "Not one of the options."
    ),
    SubmissionErrorCode.UNKNOWN_ATTACHMENT: _Text(
        "Ukjent type vedlegg.", "Ukjend type vedlegg.", "Unknown kind of attachment."
    ),
    SubmissionErrorCode.ATTACHMENT_REQUIRED: _Text(
        "Vedlegget mangler.", "Vedlegget manglar.", "The attachment is missing."
    ),
    SubmissionErrorCode.TOO_MANY_FILES: _Text(
        "For mange filer.", "For mange filer.", "Too many files."
    ),
    SubmissionErrorCode.FILE_TOO_LARGE: _Text(
        "Filen er for stor.", "Fila er for stor.", "The file is too large."
    ),
    SubmissionErrorCode.FILE_TYPE_NOT_ALLOWED: _Text(
        "Filtypen er ikke tillatt.", "Filtypen er ikkje tillaten.", "File type not allowed."
    ),
    SubmissionErrorCode.EMPTY_FILE: _Text("Filen er tom.", "Fila er tom.", "The file is empty."),
    SubmissionErrorCode.ATTACHMENT_TYPE_MISMATCH: _Text(
        "Filen er ikke en gyldig fil av typen den oppgir.",
        "Fila er ikkje ei gyldig fil av typen ho oppgir.",
        "The file is not a valid file of the type it claims.",
    ),
    SubmissionErrorCode.APPLICATION_TOO_LARGE: _Text(
        "Vedleggene er til sammen for store.",
        "Vedlegga er til saman for store.",
        "The attachments are too large together.",
    ),
    SubmissionErrorCode.INSUFFICIENT_LEVEL_OF_ASSURANCE: _Text(
        "Denne søknaden krever innlogging på høyt sikkerhetsnivå.",
        "Denne søknaden krev innlogging på høgt tryggingsnivå.",
        "This application requires a high level of assurance login.",
    ),
    SubmissionErrorCode.CONFLICT: _Text(
        "Idempotensnøkkelen er brukt for en annen innsending.",
        "Idempotensnøkkelen er brukt for ei anna innsending.",
        "The idempotency key was used for a different submission.",
    ),
    SubmissionErrorCode.SOURCE_UNAVAILABLE: _Text(
        "Vi får ikke kontrollert opplysningene nå. Prøv igjen om litt.",
        "Vi får ikkje kontrollert opplysningane no. Prøv igjen om litt.",
        "We cannot check the details right now. Please try again shortly.",
    ),
}


def message(code: SubmissionErrorCode, language: Language, detail: str | None = None) -> str:
    """The text of ``code`` in ``language``, with a detail after it when given."""
    text: str = getattr(MESSAGES[code], language.value)
    return text if detail is None else f"{text} ({detail})"


@dataclass(frozen=True)
class Problem:
    """One refused input: ``field`` is the input path (``value``, ``fields.reason``, …)."""

    field: str
    code: SubmissionErrorCode
    message: str


class Problems:
    """The problems found so far in one submission, in the request's language."""

    def __init__(self, language: Language) -> None:
        self.language = language
        self.items: list[Problem] = []

    def add(self, field: str, code: SubmissionErrorCode, detail: str | None = None) -> None:
        """Record a problem with ``field``."""
        self.items.append(Problem(field, code, message(code, self.language, detail)))

    def has(self, field: str) -> bool:
        """True when ``field`` has a problem already (later checks of it are then skipped)."""
        return any(item.field == field for item in self.items)

    def __bool__(self) -> bool:
        return bool(self.items)
