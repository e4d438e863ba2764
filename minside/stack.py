"""The local stack that `minside demo` runs: gateway, simulators and the ID-porten stand-in."""

from __future__ import annotations

from minside.servers import ServerSpec
from minside.settings import Settings


def gateway_spec(settings: Settings) -> ServerSpec:
    """The gateway on its configured host and port."""
    from app import build_app

    return ServerSpec("gateway", build_app(settings), settings.host, settings.port)


def demo_specs(settings: Settings) -> list[ServerSpec]:
    """Everything the demo runs, dependencies first so the gateway finds them ready."""
    return [gateway_spec(settings)]
