"""Typed reading of a parsed JSON answer: :class:`ShapeReader`.

The JSON connectors parse answers into their models through it, so a payload of the wrong
shape is a :class:`~connectors.errors.MalformedResponse` that names the field, never its value.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, TypeVar

from connectors.errors import MalformedResponse

__all__ = ["ShapeReader"]

E = TypeVar("E", bound=Enum)
V = TypeVar("V")


class ShapeReader:
    """Typed access to parsed JSON, raising :class:`MalformedResponse` on the wrong shape.

    Messages name the field, never its value (values may be personal data).
    """

    def __init__(self, system: str, operation: str) -> None:
        self.system = system
        self.operation = operation

    def fail(self, what: str) -> MalformedResponse:
        """The error for a payload that does not have the agreed shape."""
        return MalformedResponse(what, system=self.system, operation=self.operation)

    def obj(self, value: Any, where: str) -> Mapping[str, Any]:
        """``value`` as a JSON object."""
        if not isinstance(value, dict):
            raise self.fail(f"{where} is not an object")
        return value

    def array(self, obj: Mapping[str, Any], key: str) -> list[Any]:
        """A required array member."""
        value = obj.get(key)
        if not isinstance(value, list):
            raise self.fail(f"field {key!r} is not an array")
        return value

    def objects(self, obj: Mapping[str, Any], key: str, what: str) -> Iterator[Mapping[str, Any]]:
        """The items of a required array member, each an object (``what`` names one)."""
        return (self.obj(item, what) for item in self.array(obj, key))

    def text(self, obj: Mapping[str, Any], key: str) -> str:
        """A required string member."""
        value = obj.get(key)
        if not isinstance(value, str):
            raise self.fail(f"field {key!r} is not a string")
        return value

    def opt_text(self, obj: Mapping[str, Any], key: str) -> str | None:
        """An optional (absent or null) string member."""
        if obj.get(key) is None:
            return None
        return self.text(obj, key)

    def flag(self, obj: Mapping[str, Any], key: str) -> bool:
        """A required boolean member."""
        value = obj.get(key)
        if not isinstance(value, bool):
            raise self.fail(f"field {key!r} is not a boolean")
        return value

    def integer(self, obj: Mapping[str, Any], key: str) -> int:
        """A required integer member."""
        value = obj.get(key)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(f"field {key!r} is not an integer")
        return value

    def decimal(self, obj: Mapping[str, Any], key: str) -> Decimal:
        """A required exact number: a decimal string (preferred) or a JSON number."""
        value = obj.get(key)
        if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
            raise self.fail(f"field {key!r} is not a decimal")
        try:
            number = Decimal(value)
        except ArithmeticError as exc:
            raise self.fail(f"field {key!r} is not a decimal") from exc
        if not number.is_finite():
            raise self.fail(f"field {key!r} is not a finite decimal")
        return number

    def opt_decimal(self, obj: Mapping[str, Any], key: str) -> Decimal | None:
        """An optional (absent or null) exact number."""
        if obj.get(key) is None:
            return None
        return self.decimal(obj, key)

    def day(self, obj: Mapping[str, Any], key: str) -> date:
        """A required ISO 8601 calendar date."""
        value = self.text(obj, key)
        try:
            return date.fromisoformat(value)
        except ValueError as exc:
            raise self.fail(f"field {key!r} is not an ISO date") from exc

    def opt_day(self, obj: Mapping[str, Any], key: str) -> date | None:
        """An optional (absent or null) ISO 8601 calendar date."""
        if obj.get(key) is None:
            return None
        return self.day(obj, key)

    def timestamp(self, obj: Mapping[str, Any], key: str) -> datetime:
        """A required ISO 8601 timestamp with offset."""
        value = self.text(obj, key)
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError as exc:
            raise self.fail(f"field {key!r} is not an ISO timestamp") from exc
        if parsed.tzinfo is None:
            raise self.fail(f"field {key!r} has no UTC offset")
        return parsed

    def choice(self, obj: Mapping[str, Any], key: str, enum_type: type[E]) -> E:
        """A required member whose value is one of ``enum_type``'s values."""
        value = self.text(obj, key)
        try:
            return enum_type(value)
        except ValueError as exc:
            raise self.fail(f"field {key!r} has an unknown value") from exc

    def found_results(
        self,
        body: Any,
        key: str,
        keys: Collection[str],
        parse: Callable[[Mapping[str, Any]], V],
    ) -> dict[str, V | None]:
        """A batch lookup's ``{"results": [{<key>, "found", ...}]}`` answer, keyed by ``key``.

        ``parse`` reads a found entry; a missing one is ``None``. The answer must speak of
        exactly the ``keys`` asked for, or it belongs to another question.
        """
        answered: dict[str, V | None] = {}
        for entry in self.objects(self.obj(body, "response"), "results", "result"):
            entry_key = self.text(entry, key)
            answered[entry_key] = parse(entry) if self.flag(entry, "found") else None
        if set(answered) != set(keys):
            raise self.fail("results do not match the requested keys")
        return answered
