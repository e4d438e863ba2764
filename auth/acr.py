"""ID-porten levels of assurance (``acr``), their order and their legacy aliases."""

from __future__ import annotations

from enum import Enum


class Acr(Enum):
    """An ID-porten level of assurance; ``value`` is the ``acr`` claim as ID-porten sends it."""

    SUBSTANTIAL = "idporten-loa-substantial"
    HIGH = "idporten-loa-high"

    @property
    def rank(self) -> int:
        """Higher is stronger: high satisfies substantial, never the other way round."""
        return _RANK[self]

    def satisfies(self, minimum: Acr) -> bool:
        """Whether a login at this level is good enough where ``minimum`` is required."""
        return self.rank >= minimum.rank

    @classmethod
    def parse(cls, value: object) -> Acr | None:
        """The level for an ``acr`` claim, accepting ``Level3``/``Level4``; ``None`` if unknown."""
        if not isinstance(value, str):
            return None
        return _BY_NAME.get(value)


_RANK = {Acr.SUBSTANTIAL: 3, Acr.HIGH: 4}
# Level3/Level4 are the names from the previous ID-porten generation; tokens from
# partner systems that still issue them must keep working.
_BY_NAME = {
    Acr.SUBSTANTIAL.value: Acr.SUBSTANTIAL,
    Acr.HIGH.value: Acr.HIGH,
    "Level3": Acr.SUBSTANTIAL,
    "Level4": Acr.HIGH,
}
