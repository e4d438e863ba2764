"""The catalogue of "Andre tjenester": links to other services behind ID-porten.

Loaded and validated once at start-up from a TOML file (``MINSIDE_EXTERNAL_SERVICES_FILE``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl

from kernel.config_files import duplicates, load_toml_model
from kernel.i18n import Language
from kernel.settings import SettingsError

LevelOfAssuranceName = Literal["idporten-loa-substantial", "idporten-loa-high"]


class LocalizedText(BaseModel):
    """A text in all three languages of Min side; none may be missing or blank."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    nb: str = Field(min_length=1)
    nn: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def in_language(self, language: Language) -> str:
        text: str = getattr(self, language.value)
        return text


class ExternalService(BaseModel):
    """One link in "Andre tjenester"."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9-]*$")
    url: HttpUrl
    minimum_level_of_assurance: LevelOfAssuranceName
    name: LocalizedText
    description: LocalizedText


class _CatalogueFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    service: list[ExternalService] = Field(default_factory=list)


@dataclass(frozen=True)
class ExternalServiceCatalogue:
    """The validated, ordered list of external services."""

    services: tuple[ExternalService, ...]


def load_external_services(path: Path) -> ExternalServiceCatalogue:
    """Read and validate the catalogue; a :class:`SettingsError` names the file and the entry."""
    variable = "MINSIDE_EXTERNAL_SERVICES_FILE"
    parsed = load_toml_model(path, _CatalogueFile, variable)
    for service in parsed.service:
        if service.url.scheme != "https":
            raise SettingsError(f"{variable}: {path}: service {service.id!r}: url must be https")
    repeated = duplicates([service.id for service in parsed.service])
    if repeated:
        raise SettingsError(f"{variable}: {path}: duplicate service ids {repeated}")
    return ExternalServiceCatalogue(tuple(parsed.service))
