"""Types shared by several domains."""

from __future__ import annotations

from decimal import Decimal
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


@strawberry.type(description="An exact amount of money (decimal, never a float).")
class Money:
    amount: Decimal = strawberry.field(description='The amount, e.g. "1234.50".')
    currency: str = strawberry.field(description="ISO 4217 code; always NOK today.")

    @classmethod
    def nok(cls, amount: Decimal) -> Money:
        return cls(amount=amount, currency="NOK")
