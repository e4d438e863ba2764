"""The typed per-request GraphQL context."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from auth.viewer import Viewer
from minside.external_services import ExternalServiceCatalogue
from minside.i18n import Language, choose_language
from minside.settings import Settings


@dataclass
class Context:
    """Everything a resolver may use for one request; built fresh per request."""

    request: Request | WebSocket
    response: Response | None
    settings: Settings
    external_services: ExternalServiceCatalogue
    language: Language
    viewer: Viewer | None = None  # None: anonymous; set only by auth.middleware

    @classmethod
    def for_request(
        cls,
        request: Request | WebSocket,
        response: Response | None,
        *,
        settings: Settings,
        external_services: ExternalServiceCatalogue,
        viewer: Viewer | None = None,
    ) -> Context:
        return cls(
            request=request,
            response=response,
            settings=settings,
            external_services=external_services,
            language=choose_language(request.headers.get("accept-language")),
            viewer=viewer,
        )
