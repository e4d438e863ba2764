"""Loading the vendored WSDLs with zeep, offline and once per process.

Connectors build and parse envelopes with these clients; the simulators serve the same
contracts with them, so both sides of every SOAP test read one and the same WSDL.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import zeep
import zeep.exceptions
from zeep.transports import Transport
from zeep.wsdl.bindings.soap import Soap11Binding

__all__ = ["OfflineTransport", "load_client", "pick_binding"]


class OfflineTransport(Transport):
    """A zeep transport that only reads local files.

    WSDLs are vendored, so any attempt to fetch a schema over the network is a packaging bug and
    must fail loudly at start-up instead of silently reaching the internet.
    """

    def _load_remote_data(self, url: str) -> bytes:
        raise zeep.exceptions.TransportError(  # type: ignore[no-untyped-call]
            f"offline WSDL loading refused a remote URL: {url}"
        )


@functools.cache
def load_client(wsdl_path: Path) -> Any:
    """Load a zeep client from a local WSDL file, resolving imports from the same folder only.

    Parsed once per process and path: a WSDL with its XSDs takes a good part of a second to
    load, and the client is only read afterwards (types, bindings, envelopes), never changed,
    so every connector and simulator of one process shares it.

    Typed ``Any`` because zeep's API is untyped; callers use it like ``zeep.Client``.
    """
    settings = zeep.Settings(strict=True, forbid_dtd=True, forbid_external=True)
    transport = OfflineTransport()  # type: ignore[no-untyped-call]
    return zeep.Client(  # type: ignore[no-untyped-call]
        str(wsdl_path), transport=transport, settings=settings
    )


def pick_binding(client: Any, port: str | None) -> Soap11Binding:
    """The SOAP 1.1 binding of port ``port``, or of the WSDL's first SOAP 1.1 port."""
    for service in client.wsdl.services.values():
        for port_name, wsdl_port in service.ports.items():
            binding = wsdl_port.binding
            if port is not None and port_name != port:
                continue
            if isinstance(binding, Soap11Binding):
                return binding
    wanted = f"port {port!r}" if port else "a SOAP 1.1 port"
    raise ValueError(f"the WSDL has no {wanted}")
