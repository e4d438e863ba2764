"""Resolvers of the "Andre tjenester" links."""

from __future__ import annotations

from kernel.external_services import ExternalService
from resolvers.context import Context


def external_services(context: Context) -> tuple[ExternalService, ...]:
    """All configured external services, in catalogue order."""
    return context.services.external_services.services
