"""The documented test persons: fixed indexes with known contents, whatever the seed or size.

Tests, the demo and the ID-porten stand-in's person picker rely on these; ``minside population``
prints them with their pids (which depend on the seed) and what each one has.
"""

from __future__ import annotations

from dataclasses import dataclass

MIN_POPULATION_SIZE = 10


@dataclass(frozen=True)
class DocumentedPerson:
    """A test person's fixed profile (counts are of records generated for them as owner)."""

    index: int
    key: str  # short stable handle, e.g. "nothing"
    role: str
    own_properties: int
    cases: int
    invoices: int


NOTHING = 0
HOMEOWNER = 1
LANDOWNER = 2
MANY_CASES = 3
OVERDUE = 4
DECISION = 5
CO_OWNER_A = 6
CO_OWNER_B = 7
RENTER = 8
APARTMENT = 9

DOCUMENTED: tuple[DocumentedPerson, ...] = (
    DocumentedPerson(
        NOTHING, "nothing", "Has nothing at all: no property, case or invoice.", 0, 0, 0
    ),
    DocumentedPerson(
        HOMEOWNER,
        "homeowner",
        "Ordinary homeowner: a house with a water meter, a few cases, paid invoices.",
        1,
        3,
        4,
    ),
    DocumentedPerson(
        LANDOWNER,
        "landowner",
        "Large landowner: 24 properties (houses, farm land, cabins, one in kommune 3301).",
        24,
        2,
        6,
    ),
    DocumentedPerson(MANY_CASES, "many-cases", "Has 120 cases in Public 360 (paging).", 1, 120, 2),
    DocumentedPerson(
        OVERDUE,
        "overdue",
        "Has an overdue unpaid invoice and one with a debt collection notice (INKASSOVARSEL).",
        1,
        2,
        5,
    ),
    DocumentedPerson(
        DECISION,
        "decision",
        "Submitted an application that has a decision (vedtak); another case is still under "
        "way. Both also hold entries a citizen must not see (internal notes, drafts, an exempt "
        "statement and attachment).",
        1,
        2,
        3,
    ),
    DocumentedPerson(
        CO_OWNER_A, "co-owner-a", "Co-owns a house 1/2 with the next person.", 1, 1, 2
    ),
    DocumentedPerson(
        CO_OWNER_B, "co-owner-b", "Co-owns a house 1/2 with the previous person.", 0, 1, 2
    ),
    DocumentedPerson(
        RENTER,
        "renter",
        "Ordinary renter: no property, one case, service invoices (SFO, kindergarten...).",
        0,
        1,
        3,
    ),
    DocumentedPerson(
        APARTMENT,
        "apartment",
        "Owns a sectioned flat (seksjon, no meter) and a cabin in kommune 3301.",
        2,
        1,
        2,
    ),
)

BY_INDEX: dict[int, DocumentedPerson] = {person.index: person for person in DOCUMENTED}
CO_OWNED_HOUSEHOLDS = frozenset({CO_OWNER_A // 2})
