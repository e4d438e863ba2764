"""gateway.tracing.install_tracing: nothing with MINSIDE_TRACING=off; with otlp one SDK
provider per process exporting in batches to the endpoint, named by MINSIDE_SERVICE_NAME.

The process's real global provider is never touched here (it can be set once per process):
the setter and getter are replaced."""

from __future__ import annotations

from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

import gateway.tracing
from kernel.settings import Settings


@pytest.fixture
def global_provider(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    installed: list[Any] = []
    monkeypatch.setattr(gateway.tracing, "_installed", None)
    monkeypatch.setattr(gateway.tracing.trace, "set_tracer_provider", installed.append)
    monkeypatch.setattr(
        gateway.tracing.trace,
        "get_tracer_provider",
        lambda: installed[-1] if installed else object(),
    )
    return installed


def test_off_installs_nothing(global_provider: list[Any]) -> None:
    assert gateway.tracing.install_tracing(Settings()) is None
    assert global_provider == []


def test_otlp_installs_one_batching_provider(global_provider: list[Any]) -> None:
    settings = Settings(
        tracing="otlp", otlp_endpoint="http://collector:4318/v1/traces", service_name="min-side"
    )
    provider = gateway.tracing.install_tracing(settings)
    assert isinstance(provider, TracerProvider)
    assert global_provider == [provider]
    assert provider.resource.attributes["service.name"] == "min-side"
    (processor,) = provider._active_span_processor._span_processors
    assert isinstance(processor, BatchSpanProcessor)
    exporter = processor._batch_processor._exporter
    assert exporter._endpoint == "http://collector:4318/v1/traces"
    # A second app in the same process uses the same provider.
    assert gateway.tracing.install_tracing(settings) is provider
    assert global_provider == [provider]
    provider.shutdown()
