"""OpenTelemetry traces of the gateway: :func:`install_tracing`, once per process.

The code that makes spans uses only the OpenTelemetry API (``gateway.observe``: the request;
``resolvers.loaders``: each dataloader batch; ``connectors.observe``: each back-office call and
the ``traceparent`` sent to the back-office). What happens to the spans is decided here, by
``MINSIDE_TRACING``:

- ``off`` (default): no tracer provider is installed, so the API's no-op is used: spans cost
  next to nothing and nothing is exported. A caller's incoming ``traceparent`` still passes
  through to the back-office systems unchanged, and log lines carry its trace id.
- ``otlp``: an SDK :class:`TracerProvider` with resource ``service.name`` =
  ``MINSIDE_SERVICE_NAME`` exports in batches (``BatchSpanProcessor``) over OTLP/HTTP to
  ``MINSIDE_OTLP_ENDPOINT`` (an OpenTelemetry Collector). A caller's sampling decision is
  kept (parent-based sampling); a trace the gateway starts is sampled.

The tracer provider is global to the process and OpenTelemetry lets it be set once: the first
app built with ``otlp`` installs it and later ones use it (a second, different endpoint is
logged and ignored). A test that records spans installs its own SDK provider first.
"""

from __future__ import annotations

import logging

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from kernel.settings import Settings

__all__ = ["install_tracing"]

log = logging.getLogger(__name__)

_installed: tuple[str, str] | None = None  # (endpoint, service name) of the installed exporter


def install_tracing(settings: Settings) -> TracerProvider | None:
    """Set up the process's tracer provider as ``settings`` say; the provider, if installed."""
    global _installed
    if settings.tracing == "off":
        return None
    wanted = (str(settings.otlp_endpoint), settings.service_name)
    current = trace.get_tracer_provider()
    if _installed is not None:
        if _installed != wanted:
            log.warning("tracing already exports to another endpoint; keeping that one")
        return current if isinstance(current, TracerProvider) else None
    if isinstance(current, TracerProvider):
        log.warning("a tracer provider is already installed; not adding the OTLP exporter")
        return current
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: settings.service_name}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=wanted[0])))
    trace.set_tracer_provider(provider)
    _installed = wanted
    return provider
