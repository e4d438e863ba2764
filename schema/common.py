"""Types shared by several domains."""

from __future__ import annotations

from enum import Enum

import strawberry


@strawberry.enum(description="ID-porten level of assurance (sikkerhetsnivå).")
class LevelOfAssurance(Enum):
    SUBSTANTIAL = strawberry.enum_value(
        "idporten-loa-substantial", description="Betydelig (was Level3): e.g. MinID, BankID."
    )
    HIGH = strawberry.enum_value(
        "idporten-loa-high", description="Høyt (was Level4): e.g. BankID, Buypass, Commfides."
    )
