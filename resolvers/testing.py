"""Builders of a :class:`Context` for tests that run resolvers or the schema without a gateway.

Production builds :class:`SharedServices` once in the app's lifespan, with every service
open. A schema-only test needs few of them: :func:`services_for_test` fills in the shipped
catalogues, a synthetic server secret and file links, and stands in for the connectors and
the outbox unless a test passes its own; using a stand-in fails the test at once, naming the
missing service. Nothing in production imports this module.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, cast

from starlette.requests import Request

from auth.viewer import Viewer
from connectors.registry import Connectors
from kernel.external_services import load_external_services
from kernel.file_links import FileLinks
from kernel.server_secret import ServerSecret
from kernel.settings import Settings
from resolvers.access_recorder import AccessRecorder
from resolvers.application_types import load_application_types
from resolvers.context import Context
from resolvers.document_visibility import load_document_visibility
from resolvers.shared import SharedServices
from stores.outbox import Outbox

__all__ = ["TEST_SECRET", "context_for_test", "services_for_test"]

#: A synthetic server secret: pseudonyms and links made with it mean nothing elsewhere.
TEST_SECRET = "resolvers-testing-secret-" + "x" * 32


class _Absent:
    """Stands in for a service the test did not provide; any use of it is a test bug."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attribute: str) -> Any:
        raise AssertionError(
            f"this test context has no {self._name} (asked for .{attribute}); "
            f"pass one to resolvers.testing.services_for_test"
        )


class _AbsentConnectors(_Absent):
    """No connectors: no resilience state either, so ``viewer.sources`` reports all OK."""

    resilience: Mapping[str, object] = {}


def _no_wake_up() -> None:
    """No delivery worker runs beside a test context."""


def services_for_test(
    settings: Settings | None = None,
    *,
    connectors: Connectors | None = None,
    outbox: Outbox | None = None,
    notify_delivery: Callable[[], None] = _no_wake_up,
    access_log: AccessRecorder | None = None,
    secret: str = TEST_SECRET,
) -> SharedServices:
    """Shared services for a test: the given ones, and stand-ins or defaults for the rest."""
    settings = settings if settings is not None else Settings()
    server_secret = ServerSecret(secret)
    return SharedServices(
        settings=settings,
        external_services=load_external_services(settings.external_services_file),
        application_types=load_application_types(settings.application_types_file),
        server_secret=server_secret,
        file_links=FileLinks(server_secret, settings.file_link_ttl_s),
        connectors=connectors
        if connectors is not None
        else cast(Connectors, _AbsentConnectors("connectors")),
        outbox=outbox if outbox is not None else cast(Outbox, _Absent("outbox")),
        notify_delivery=notify_delivery,
        access_log=access_log
        if access_log is not None
        else cast(AccessRecorder, _Absent("access log")),
        document_visibility=load_document_visibility(settings.document_visibility_file),
    )


def context_for_test(
    services: SharedServices | None = None,
    *,
    viewer: Viewer | None = None,
    headers: Mapping[str, str] | None = None,
) -> Context:
    """A fresh per-request context, as :meth:`Context.for_request` makes one for a POST."""
    services = services if services is not None else services_for_test()
    raw_headers = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    request = Request(
        {"type": "http", "method": "POST", "path": "/graphql", "headers": raw_headers}
    )
    return Context.for_request(request, None, services, viewer)
