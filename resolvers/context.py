"""The typed per-request GraphQL context."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from auth.viewer import Viewer
from kernel.i18n import Language, choose_language
from resolvers.access_recorder import AccessReads
from resolvers.shared import SharedServices
from resolvers.sources import SourceTracker

L = TypeVar("L")


@dataclass
class Context:
    """Everything a resolver may use for one request; built fresh per request.

    The per-process services come whole (:class:`SharedServices`); what is per request is
    the viewer, the language, the record of back-office outcomes, the reads for the access log
    and the dataloaders.
    Dataloaders are created lazily, one per class per request (:meth:`loader`), so batching
    and caching never cross requests or viewers.
    """

    request: Request | WebSocket
    response: Response | None
    services: SharedServices
    language: Language
    viewer: Viewer | None  # None: anonymous; set only by auth.middleware
    sources: SourceTracker
    # The viewer's personal data this request handed out, for the access log
    # (schema.access_log.reads collects it; the gateway records it when the request ends).
    access: AccessReads = field(default_factory=AccessReads)
    _loaders: dict[type[Any], Any] = field(default_factory=dict)

    @classmethod
    def for_request(
        cls,
        request: Request | WebSocket,
        response: Response | None,
        services: SharedServices,
        viewer: Viewer | None,
    ) -> Context:
        """The context of one request, in the language its Accept-Language asks for."""
        return cls(
            request=request,
            response=response,
            services=services,
            language=choose_language(request.headers.get("accept-language")),
            viewer=viewer,
            sources=SourceTracker(services.connectors.resilience),
        )

    def viewer_key(self, viewer: Viewer) -> str:
        """The viewer's pseudonym (:meth:`ServerSecret.viewer_key`): the Citizen's id, the key
        of their outbox records and the owner named in their download links."""
        return self.services.server_secret.viewer_key(viewer.pid)

    def loader(self, factory: Callable[[Context], L]) -> L:
        """This request's instance of a dataloader class (created on first use)."""
        key: Any = factory
        existing = self._loaders.get(key)
        if existing is None:
            existing = self._loaders[key] = factory(self)
        loader: L = existing
        return loader
