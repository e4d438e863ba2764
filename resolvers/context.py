"""The typed per-request GraphQL context."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from auth.viewer import Viewer
from connectors.registry import Connectors
from kernel.external_services import ExternalServiceCatalogue
from kernel.file_links import FileLinks
from kernel.i18n import Language, choose_language
from kernel.server_secret import ServerSecret
from kernel.settings import Settings
from resolvers.application_types import ApplicationTypeCatalogue
from resolvers.sources import SourceTracker
from stores.outbox import Outbox

L = TypeVar("L")


@dataclass
class Context:
    """Everything a resolver may use for one request; built fresh per request.

    Dataloaders are created lazily, one per class per request (:meth:`loader`), so batching
    and caching never cross requests or viewers.
    """

    request: Request | WebSocket
    response: Response | None
    settings: Settings
    external_services: ExternalServiceCatalogue
    language: Language
    viewer: Viewer | None = None  # None: anonymous; set only by auth.middleware
    connectors: Connectors | None = None  # None only in schema-only tests
    file_links: FileLinks | None = None
    server_secret: ServerSecret | None = None
    # Citizen writes (schema/submission): the durable outbox, a wake-up for the delivery
    # worker after an accept, and the application catalogue. None only in schema-only tests.
    outbox: Outbox | None = None
    notify_delivery: Callable[[], None] | None = None
    application_types: ApplicationTypeCatalogue | None = None
    sources: SourceTracker = field(default_factory=lambda: SourceTracker({}))
    _loaders: dict[type[Any], Any] = field(default_factory=dict)

    @classmethod
    def for_request(
        cls,
        request: Request | WebSocket,
        response: Response | None,
        *,
        settings: Settings,
        external_services: ExternalServiceCatalogue,
        viewer: Viewer | None = None,
        connectors: Connectors | None = None,
        file_links: FileLinks | None = None,
        server_secret: ServerSecret | None = None,
        outbox: Outbox | None = None,
        notify_delivery: Callable[[], None] | None = None,
        application_types: ApplicationTypeCatalogue | None = None,
    ) -> Context:
        return cls(
            request=request,
            response=response,
            settings=settings,
            external_services=external_services,
            language=choose_language(request.headers.get("accept-language")),
            viewer=viewer,
            connectors=connectors,
            file_links=file_links,
            server_secret=server_secret,
            outbox=outbox,
            notify_delivery=notify_delivery,
            application_types=application_types,
            sources=SourceTracker(connectors.resilience if connectors is not None else {}),
        )

    def loader(self, factory: Callable[[Context], L]) -> L:
        """This request's instance of a dataloader class (created on first use)."""
        key: Any = factory
        existing = self._loaders.get(key)
        if existing is None:
            existing = self._loaders[key] = factory(self)
        loader: L = existing
        return loader

    def require_connectors(self) -> Connectors:
        """The connectors; a server misconfiguration if absent."""
        if self.connectors is None:
            raise RuntimeError("the gateway was started without back-office connectors")
        return self.connectors
