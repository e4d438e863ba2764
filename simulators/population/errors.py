"""Exceptions of the population's lookups and mutations (simulators map them to their protocol)."""

from __future__ import annotations


class PopulationError(Exception):
    """Base of the population's errors. Messages never contain a fødselsnummer."""


class NotFoundError(PopulationError, LookupError):
    """The record asked for (meter, case, invoice...) does not exist."""


class InvalidInputError(PopulationError, ValueError):
    """A mutation was refused because its input is wrong (e.g. a reading below the last one)."""
