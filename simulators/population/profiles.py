"""How much each person has: numbers of properties, cases and invoices, and co-ownership.

Everything is drawn from a random stream named after (seed, what, index), so any person's
profile is computed on its own, in any order, with the same result.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from simulators.population import documented


def rng_for(seed: int, *parts: object) -> random.Random:
    """A random stream for one record; string seeds hash with SHA-512, stable across runs."""
    # Not for security: reproducible test data is the point.
    return random.Random(":".join(str(part) for part in (seed, *parts)))  # noqa: S311


@dataclass(frozen=True)
class Profile:
    """What person `index` has. A co-owned household shares slot 0 of its even member."""

    index: int
    own_properties: int
    cases: int
    invoices: int
    co_owner: int | None  # the other member of a co-owning couple

    @property
    def shares_first_property(self) -> bool:
        """True when this person's slot-0 property is owned 1/2 with ``co_owner``."""
        return self.co_owner is not None and self.index % 2 == 0


def household_co_owns(seed: int, size: int, household: int) -> bool:
    """Whether persons 2k and 2k+1 co-own the first property of 2k."""
    if 2 * household + 1 >= size:
        return False
    if household in documented.CO_OWNED_HOUSEHOLDS:
        return True
    if 2 * household < documented.MIN_POPULATION_SIZE:
        return False
    return rng_for(seed, "household", household).random() < 0.2


def profile_of(seed: int, size: int, index: int) -> Profile:
    """The profile of person `index` (documented persons have fixed counts)."""
    co_owned = household_co_owns(seed, size, index // 2)
    co_owner = (index ^ 1) if co_owned else None
    fixed = documented.BY_INDEX.get(index)
    if fixed is not None:
        return Profile(index, fixed.own_properties, fixed.cases, fixed.invoices, co_owner)
    rng = rng_for(seed, "profile", index)
    own = rng.choices((0, 1, 2, 3, 4), weights=(35, 45, 13, 5, 2))[0]
    if co_owned:
        # The couple's home is the even member's slot 0; the other one rarely owns more.
        own = max(own, 1) if index % 2 == 0 else (own if rng.random() < 0.2 else 0)
    cases = rng.choices((0, 1, 2, 3, 4, 6, 8), weights=(30, 20, 18, 12, 8, 7, 5))[0]
    has_property = own > 0 or co_owned
    invoices = rng.randint(2, 6) if has_property else rng.randint(0, 3)
    return Profile(index, own, cases, invoices, co_owner)
