"""Norwegian-looking given names and family names for synthetic people (common names only)."""

from __future__ import annotations

import random

FEMALE_NAMES = (
    "Anne", "Inger", "Kari", "Marit", "Ingrid", "Liv", "Eva", "Berit", "Astrid", "Bjørg",
    "Hilde", "Anna", "Solveig", "Marianne", "Randi", "Ida", "Nina", "Maria", "Elisabeth",
    "Kristin", "Tone", "Silje", "Ragnhild", "Camilla", "Nora", "Emma", "Sara", "Thea", "Ingvild",
    "Sigrid", "Maja", "Tuva", "Live", "Hedda", "Åse", "Gunn", "Torill", "Synnøve", "Mari", "Guro",
)
MALE_NAMES = (
    "Jan", "Per", "Bjørn", "Ole", "Lars", "Kjell", "Knut", "Arne", "Svein", "Thomas", "Hans",
    "Geir", "Tor", "Morten", "Terje", "Odd", "Erik", "Martin", "Andreas", "Anders", "Jon",
    "Rune", "Trond", "Harald", "Magnus", "Henrik", "Kristian", "Even", "Sindre", "Jakob",
    "Emil", "Filip", "Sander", "Eirik", "Håkon", "Øyvind", "Gunnar", "Sverre", "Halvor", "Ivar",
)
FAMILY_NAMES = (
    "Hansen", "Johansen", "Olsen", "Larsen", "Andersen", "Pedersen", "Nilsen", "Kristiansen",
    "Jensen", "Karlsen", "Johnsen", "Pettersen", "Eriksen", "Berg", "Haugen", "Hagen",
    "Johannessen", "Andreassen", "Jacobsen", "Dahl", "Jørgensen", "Halvorsen", "Henriksen",
    "Lund", "Sørensen", "Jakobsen", "Moen", "Gundersen", "Iversen", "Strand", "Solberg",
    "Svendsen", "Eide", "Knutsen", "Martinsen", "Paulsen", "Bakken", "Kristoffersen",
    "Mathisen", "Lie", "Amundsen", "Nguyen", "Rasmussen", "Ali", "Lunde", "Solheim", "Berge",
    "Moe", "Nygård", "Bakke", "Kristensen", "Fredriksen", "Holm", "Lien", "Hauge", "Christensen",
    "Andresen", "Nielsen", "Knudsen", "Evensen", "Sæther", "Aas", "Myhre", "Hanssen", "Ahmed",
    "Haugland", "Thomassen", "Sivertsen", "Simonsen", "Danielsen", "Berntsen", "Sandvik",
    "Rønning", "Arnesen", "Antonsen", "Næss", "Vik", "Haug", "Ellingsen", "Thorsen", "Edvardsen",
    "Birkeland", "Isaksen", "Gulbrandsen", "Ruud", "Aasen", "Strøm", "Myklebust", "Tangen",
    "Ødegård", "Eliassen", "Helland", "Bøe", "Jenssen", "Aune", "Mikkelsen", "Tveit", "Brekke",
    "Abrahamsen", "Madsen",
)


def pick_name(rng: random.Random, gender: str) -> tuple[str, str]:
    """A (given names, family name) pair; one in five has a double given name."""
    pool = FEMALE_NAMES if gender == "F" else MALE_NAMES
    given = rng.choice(pool)
    if rng.random() < 0.2:
        second = rng.choice(pool)
        if second != given:
            given = f"{given} {second}"
    return given, rng.choice(FAMILY_NAMES)
