"""What every request shares: :class:`SharedServices`, opened once per process."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from connectors.registry import Connectors
from kernel.external_services import ExternalServiceCatalogue
from kernel.file_links import FileLinks
from kernel.server_secret import ServerSecret
from kernel.settings import Settings
from resolvers.access_recorder import AccessRecorder
from resolvers.application_types import ApplicationTypeCatalogue
from resolvers.document_visibility import DocumentVisibility
from resolvers.observe import NO_CACHE_OBSERVER, CacheObserver
from resolvers.read_cache import ReadThroughCache
from stores.outbox import Outbox


@dataclass(frozen=True)
class SharedServices:
    """The per-process services a resolver may use, built once by the gateway's lifespan.

    Every one is required: a request is only served while the lifespan runs, so no resolver
    checks for a missing service. Tests build one with :mod:`resolvers.testing`.
    """

    settings: Settings
    external_services: ExternalServiceCatalogue
    application_types: ApplicationTypeCatalogue
    server_secret: ServerSecret
    file_links: FileLinks
    connectors: Connectors
    # Citizen writes (resolvers.submission): the durable outbox, and a wake-up for this
    # process's delivery worker after an accept.
    outbox: Outbox
    notify_delivery: Callable[[], None]
    # The citizen's access log: the recorder of reads and, as its .store, what viewer.accessLog
    # reads from.
    access_log: AccessRecorder
    # Which journal entries a case party sees (resolvers.document_visibility).
    document_visibility: DocumentVisibility
    # Back-office reads kept across requests (resolvers.read_cache); None: MINSIDE_CACHE=off.
    read_cache: ReadThroughCache | None = None
    # Told of the read cache's hits, misses and stale serves (the gateway's metrics).
    cache_observer: CacheObserver = NO_CACHE_OBSERVER
