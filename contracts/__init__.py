"""The back-office contracts, vendored once and read by both connectors and simulators.

One folder per system: the SOAP systems keep their WSDLs and XSDs unchanged from
``shared/reference``; the JSON systems keep the OpenAPI 3.1 document this project defines.
Everything is loaded from disk offline, never fetched.
"""

from __future__ import annotations

from pathlib import Path

CONTRACTS_DIR = Path(__file__).resolve().parent


def wsdl_dir(system: str) -> Path:
    """The folder of a SOAP system's vendored WSDLs and XSDs."""
    return CONTRACTS_DIR / system / "wsdl"


def openapi_document(system: str) -> Path:
    """The OpenAPI document of a JSON system."""
    (path,) = (CONTRACTS_DIR / system).glob("*.yaml")
    return path
