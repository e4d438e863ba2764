"""What the gateway's lifespan opens once and every request shares: :class:`GatewayState`."""

from __future__ import annotations

from dataclasses import dataclass, field

import aiohttp

from auth.service import Auth
from connectors.registry import Connectors
from delivery.worker import DeliveryWorker
from gateway.health import DependencyCheck
from kernel.external_services import ExternalServiceCatalogue
from kernel.file_links import FileLinks
from kernel.server_secret import ServerSecret
from kernel.settings import Settings
from resolvers.application_types import ApplicationTypeCatalogue
from stores import Outbox


@dataclass
class GatewayState:
    """Shared clients opened by the lifespan and used by every request."""

    settings: Settings
    external_services: ExternalServiceCatalogue
    auth: Auth
    server_secret: ServerSecret
    file_links: FileLinks
    application_types: ApplicationTypeCatalogue
    http: aiohttp.ClientSession | None = None
    connectors: Connectors | None = None
    outbox: Outbox | None = None
    worker: DeliveryWorker | None = None
    checks: list[DependencyCheck] = field(default_factory=list)
