"""Simulator of Kartverket's Matrikkel API (SOAP), built on the connector's vendored WSDLs."""

from simulators.matrikkel.app import build_app

__all__ = ["build_app"]
