"""Synthetic test persons the stand-in can log in, TestID-style.

Real ID-porten test environments log in synthetic people from Tenor (Skatteetaten's test data),
whose fødselsnumre have 80 added to the month so they can never collide with a real person. The
stand-in prefers the simulators' own population (so a login lands on a person who owns property in
the simulated back-office systems) and falls back to a small built-in list of Tenor-style pids.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

_WEIGHTS_1 = (3, 7, 6, 1, 8, 9, 4, 5, 2)
_WEIGHTS_2 = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


@dataclass(frozen=True)
class TestPerson:
    """A synthetic person who can log in: fødselsnummer (pid) and display name."""

    __test__ = False  # not a pytest test class, despite the name

    pid: str
    name: str


def _check_digit(digits: str, weights: tuple[int, ...]) -> int | None:
    remainder = sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11
    check = (11 - remainder) % 11
    return None if check == 10 else check


def with_check_digits(first_nine: str) -> str | None:
    """Append the two mod-11 check digits to nine digits; None if no valid number exists."""
    k1 = _check_digit(first_nine, _WEIGHTS_1)
    if k1 is None:
        return None
    k2 = _check_digit(first_nine + str(k1), _WEIGHTS_2)
    if k2 is None:
        return None
    return f"{first_nine}{k1}{k2}"


def is_valid_pid(pid: str) -> bool:
    """True if `pid` is 11 digits with valid mod-11 check digits (real or synthetic)."""
    return len(pid) == 11 and pid.isdigit() and with_check_digits(pid[:9]) == pid


def synthetic_pid(day: int, month: int, year: int, serial: int) -> str:
    """The first valid Tenor-style pid (month + 80) for a birth date, from `serial` upwards."""
    for individual in range(serial, 1000):
        first_nine = f"{day:02d}{month + 80:02d}{year % 100:02d}{individual:03d}"
        pid = with_check_digits(first_nine)
        if pid is not None:
            return pid
    raise ValueError("no valid check digits for this birth date")


# Built-in fallback: deterministic, obviously synthetic (month + 80), valid check digits.
_BUILTIN = (
    ((14, 3, 1978, 101), "Kari Nordmann"),
    ((2, 11, 1985, 210), "Ola Nordmann"),
    ((23, 6, 1962, 330), "Ingrid Berg Hansen"),
    ((9, 1, 1991, 452), "Per Olav Lie"),
    ((30, 8, 1954, 171), "Aisha Rahman"),
)


def builtin_persons() -> list[TestPerson]:
    """The fixed fallback list of synthetic persons."""
    return [TestPerson(synthetic_pid(*birth), name) for birth, name in _BUILTIN]


def population_persons(seed: int = 2026, size: int = 1000, limit: int = 8) -> list[TestPerson]:
    """Documented persons from the simulators' population; empty if it is not available.

    Imported lazily and defensively: the stand-in must keep working while the population module
    is absent or changing shape.
    """
    try:
        module = importlib.import_module("simulators.population")
        population: Any = module.Population(seed, size)
        documented: list[dict[str, Any]] = list(population.documented_persons())
    except Exception:  # the population is optional; any failure means "use the fallback"
        return []
    persons = []
    for item in documented[:limit]:
        pid, name = str(item.get("pid", "")), str(item.get("name", ""))
        if is_valid_pid(pid) and name:
            persons.append(TestPerson(pid, name))
    return persons


def default_persons(seed: int = 2026, size: int = 1000) -> list[TestPerson]:
    """Persons from the population when importable, otherwise the built-in list."""
    return population_persons(seed, size) or builtin_persons()
