"""Configuration files shipped with the gateway (TOML), read and validated once at start-up.

A problem stops start-up with a :class:`~kernel.settings.SettingsError` that names the
variable pointing at the file, the file, and the entry that is wrong.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from kernel.settings import SettingsError

M = TypeVar("M", bound=BaseModel)
# Describes where in the raw file an error location points, e.g. "type 'SLAM': name.nn".
Locator = Callable[[dict[str, Any], Sequence[int | str]], str]


def dotted(raw: dict[str, Any], loc: Sequence[int | str]) -> str:
    """The default locator: the path of keys and indexes, e.g. ``service.0.url``."""
    return ".".join(str(part) for part in loc)


def load_toml_model(path: Path, model: type[M], variable: str, locate: Locator = dotted) -> M:
    """Read `path` as TOML and validate it as `model`, or raise a SettingsError naming it."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SettingsError(f"{variable}: cannot read {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{variable}: {path} is not valid TOML: {exc}") from None
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        problems = [f"{locate(raw, error['loc'])}: {error['msg']}" for error in exc.errors()]
        raise SettingsError(f"{variable}: {path}: " + "; ".join(problems)) from None


def duplicates(values: Sequence[str]) -> list[str]:
    """Values that occur more than once, sorted."""
    return sorted({value for value in values if values.count(value) > 1})
