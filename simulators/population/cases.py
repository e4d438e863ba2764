"""Generation of Public 360 cases with their journal entries and file metadata.

File contents (PDFs) are rendered only when a file is fetched, because a case list never needs
them and a person can have over a hundred cases.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import NamedTuple

from simulators.population import documented, ids
from simulators.population.models import (
    CASE_STATUS_CLOSED,
    CASE_STATUS_OPEN,
    Case,
    CaseKind,
    DocFile,
    Document,
    DocumentDirection,
)
from simulators.population.profiles import rng_for

_TITLES: dict[CaseKind, tuple[str, ...]] = {
    CaseKind.APPLICATION: (
        "Søknad om redusert foreldrebetaling i barnehage",
        "Søknad om parkeringstillatelse for forflytningshemmede",
        "Søknad om startlån",
        "Søknad om tilskudd til tilpasning av bolig",
        "Søknad om skoleskyss",
        "Søknad om ledsagerbevis",
    ),
    CaseKind.BUILDING: (
        "Byggesak - oppføring av garasje",
        "Byggesak - tilbygg til enebolig",
        "Byggesak - fasadeendring",
        "Byggesak - riving av uthus",
        "Byggesak - oppføring av terrasse",
    ),
    CaseKind.PLANNING: (
        "Detaljregulering for Nordby boligfelt",
        "Områderegulering Lillestrøm sentrum",
        "Reguleringsendring for Kjeller næringsområde",
    ),
    CaseKind.WATER_SEWAGE_WASTE: (
        "Søknad om tilknytning til kommunalt vann og avløp",
        "Søknad om fritak for renovasjon",
        "Vannlekkasje - søknad om reduksjon i vanngebyr",
        "Søknad om utslippstillatelse for mindre avløpsanlegg",
    ),
    CaseKind.OTHER: (
        "Henvendelse om brøyting",
        "Innsynsbegjæring",
        "Henvendelse om gatelys",
    ),
}
_UNITS = {
    CaseKind.APPLICATION: "Tjenestetorget",
    CaseKind.BUILDING: "Byggesak",
    CaseKind.PLANNING: "Plan og miljø",
    CaseKind.WATER_SEWAGE_WASTE: "Vann, avløp og renovasjon",
    CaseKind.OTHER: "Servicetorget",
}
# (direction, title template, is_decision) of the journal entries of each kind of case; the
# last entry of a closed case answers it.
_FLOWS: dict[CaseKind, tuple[tuple[DocumentDirection, str, bool], ...]] = {
    CaseKind.APPLICATION: (
        (DocumentDirection.INCOMING, "Søknad: {title}", False),
        (DocumentDirection.OUTGOING, "Bekreftelse på mottatt søknad", False),
        (DocumentDirection.NOTE, "Saksutredning", False),
        (DocumentDirection.OUTGOING, "Vedtak: {title}", True),
    ),
    CaseKind.BUILDING: (
        (DocumentDirection.INCOMING, "Søknad om tillatelse: {title}", False),
        (DocumentDirection.OUTGOING, "Foreløpig svar", False),
        (DocumentDirection.INCOMING, "Tilleggsdokumentasjon - situasjonsplan", False),
        (DocumentDirection.OUTGOING, "Vedtak om tillatelse: {title}", True),
    ),
    CaseKind.PLANNING: (
        (DocumentDirection.OUTGOING, "Varsel om oppstart av planarbeid: {title}", False),
        (DocumentDirection.INCOMING, "Merknad til planforslag", False),
        (DocumentDirection.OUTGOING, "Melding om vedtak: {title}", True),
    ),
    CaseKind.WATER_SEWAGE_WASTE: (
        (DocumentDirection.INCOMING, "{title}", False),
        (DocumentDirection.NOTE, "Befaring - notat", False),
        (DocumentDirection.OUTGOING, "Vedtak: {title}", True),
    ),
    CaseKind.OTHER: (
        (DocumentDirection.INCOMING, "{title}", False),
        (DocumentDirection.OUTGOING, "Svar på henvendelse", False),
    ),
}


class _Step(NamedTuple):
    """A journal entry of a documented case that exercises the gateway's visibility rule."""

    direction: DocumentDirection
    template: str
    is_decision: bool
    status: str = "J"
    access_code: str | None = None
    exempt_attachment: bool = False


# The decided application of the "decision" person: next to the letters the party sees, the
# entries a citizen must not see — an internal note without and one with follow-up, an exempt
# third-party statement (19: unntatt partsinnsyn), a draft decision still reserved (R) — and an
# exempt attachment on the party's own application. Shown: entries 1, 2 (ekspedert) and 7.
_VISIBILITY_FLOW: tuple[_Step, ...] = (
    _Step(DocumentDirection.INCOMING, "Søknad: {title}", False, exempt_attachment=True),
    _Step(DocumentDirection.OUTGOING, "Bekreftelse på mottatt søknad", False, status="E"),
    _Step(DocumentDirection.NOTE, "Saksutredning", False, status="F"),
    _Step(DocumentDirection.NOTE_FOLLOW_UP, "Internt notat - vurdering av søknaden", False),
    _Step(DocumentDirection.INCOMING, "Uttalelse om tredjeperson", False, access_code="19"),
    _Step(DocumentDirection.OUTGOING, "Utkast til vedtak", False, status="R"),
    _Step(DocumentDirection.OUTGOING, "Vedtak: {title}", True),
)
# The "decision" person's case still under way also has a reply being written (midlertidig
# registrert, S): hidden until the archive journals it.
_UNFINISHED_REPLY = _Step(DocumentDirection.OUTGOING, "Svar under arbeid", False, status="S")


def _kind(rng: random.Random, index: int, slot: int) -> CaseKind:
    if index == documented.DECISION and slot == 0:
        return CaseKind.APPLICATION
    return rng.choices(
        (
            CaseKind.APPLICATION,
            CaseKind.BUILDING,
            CaseKind.PLANNING,
            CaseKind.WATER_SEWAGE_WASTE,
            CaseKind.OTHER,
        ),
        weights=(30, 25, 15, 20, 10),
    )[0]


def generate_case(
    seed: int,
    anchor: date,
    index: int,
    slot: int,
    party_pid: str,
    matrikkelnummer: str | None,
) -> Case:
    """Case `slot` of person `index` with its journal entries (file data not loaded)."""
    rng = rng_for(seed, "case", index, slot)
    kind = _kind(rng, index, slot)
    title = rng.choice(_TITLES[kind])
    key = ids.case_key(index, slot)
    opened = anchor - timedelta(days=rng.randint(3, 2200))
    age = (anchor - opened).days
    forced_decision = index == documented.DECISION and slot == 0
    forced_open = index == documented.DECISION and slot == 1
    closed = forced_decision or (not forced_open and rng.random() < (0.85 if age > 120 else 0.25))
    closed_on = min(opened + timedelta(days=rng.randint(14, 110)), anchor) if closed else None
    case_number = ids.format_case_number(opened.year, key)
    # Internal notes are left ferdigstilt (F) by the case officer; letters are journalført.
    flow = tuple(
        _Step(direction, template, is_decision, "F" if direction is DocumentDirection.NOTE else "J")
        for direction, template, is_decision in _FLOWS[kind]
    )
    # An open case has only the first entries; the answer comes when it is closed.
    steps = flow if closed else flow[: max(1, rng.randint(1, len(flow) - 1))]
    if forced_decision:
        steps = _VISIBILITY_FLOW
    elif forced_open:
        steps = (*steps, _UNFINISHED_REPLY)
    end = closed_on or anchor
    documents = []
    for position, step in enumerate(steps):
        direction, template, is_decision = step.direction, step.template, step.is_decision
        if position == 0:
            on = opened
        elif closed_on is not None and position == len(steps) - 1:
            on = closed_on
        else:
            on = min(
                opened + timedelta(days=position * max(1, (end - opened).days // len(steps))), end
            )
        doc_title = template.format(title=title)
        recno = ids.document_recno(key, position)
        names: list[tuple[str, str | None]] = [(f"{doc_title}.pdf", None)]
        if kind == CaseKind.BUILDING and position == 0:
            names.append(("Vedlegg - situasjonskart.pdf", None))
        if step.exempt_attachment:
            names.append(("Vedlegg - opplysninger om tredjeperson.pdf", "19"))
        files = tuple(
            DocFile(
                ids.file_recno(key, position, n),
                recno,
                _file_name(name),
                "pdf",
                "application/pdf",
                access_code=access_code,
            )
            for n, (name, access_code) in enumerate(names)
        )
        documents.append(
            Document(
                recno=recno,
                document_number=f"{case_number}-{position + 1}",
                case_number=case_number,
                title=doc_title,
                direction=direction,
                document_date=on,
                is_decision=is_decision,
                files=files,
                status=step.status,
                access_code=step.access_code,
            )
        )
    return Case(
        recno=ids.case_recno(key),
        case_number=case_number,
        title=title,
        kind=kind,
        status=CASE_STATUS_CLOSED if closed else CASE_STATUS_OPEN,
        opened_on=opened,
        closed_on=closed_on,
        documents=tuple(documents),
        party_pid=party_pid,
        responsible_unit=_UNITS[kind],
        matrikkelnummer=matrikkelnummer
        if kind in (CaseKind.BUILDING, CaseKind.WATER_SEWAGE_WASTE)
        else None,
    )


def _file_name(name: str) -> str:
    # File names must not contain path separators or colons (archive export rules).
    return name.replace("/", "-").replace(":", " -")


def letter_body(seed: int, case: Case, document: Document) -> list[str]:
    """A few deterministic paragraphs for the PDF of `document`."""
    rng = rng_for(seed, "letter", document.recno)
    if document.is_decision:
        outcome = rng.choice(("innvilget", "innvilget med vilkår", "avslått"))
        return [
            f"Kommunen har behandlet saken '{case.title}' og fattet følgende vedtak:",
            f"Søknaden er {outcome}.",
            "Vedtaket kan påklages innen tre uker fra det er mottatt, jf. forvaltningsloven "
            "§ 29. Klagen sendes til kommunen.",
        ]
    if document.direction == DocumentDirection.INCOMING:
        return [
            f"Jeg viser til saken '{case.title}'.",
            "Vedlagt følger opplysninger og dokumentasjon som bedt om.",
            "Med vennlig hilsen",
        ]
    if document.direction in (DocumentDirection.NOTE, DocumentDirection.NOTE_FOLLOW_UP):
        return [f"Internt notat i saken '{case.title}'.", "Ingen merknader."]
    return [
        f"Vi viser til saken '{case.title}'.",
        f"Saken behandles av {case.responsible_unit}. Forventet saksbehandlingstid er "
        f"{rng.choice((4, 6, 8, 12))} uker.",
    ]
