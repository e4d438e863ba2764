"""The base of the SOAP connectors (Matrikkel, Public 360): :class:`SoapConnector`.

It holds what every SOAP client does the same way: the constructor every connector shares
(:class:`connectors.base.ConnectorFactory`) with one HTTP Basic header for all its services,
one :class:`~connectors.soap.SoapService` per vendored WSDL, and :meth:`SoapConnector._call`,
one resilient call whose reply is parsed into models with shape errors mapped to
:class:`~connectors.errors.MalformedResponse`. A client adds its operations and ``ping``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import aiohttp

from connectors.resilience import Resilience
from connectors.soap import ReplyDecoder, SoapService, read_shaped

__all__ = ["SoapConnector"]

T = TypeVar("T")


class SoapConnector(ABC):
    """A typed client of one SOAP back-office system with several WSDL services.

    Subclasses name their ``system``, their ``services`` (WSDL file stems) and how a service's
    endpoint is spelled below ``base_url`` (``<base_url>/<Name><endpoint_suffix>``). The WSDLs
    are read from ``wsdl_dir``, parsed once per process (:func:`contracts.soap.load_client`).
    """

    system: str
    services: tuple[str, ...]
    endpoint_suffix = ""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        username: str,
        password: str,
        resilience: Resilience,
        *,
        wsdl_dir: Path,
    ) -> None:
        self._session = session
        # A ready Authorization header: aiohttp.BasicAuth is deprecated (aiohttp 3.14).
        self._auth = aiohttp.encode_basic_auth(username, password)
        self._resilience = resilience
        root = base_url.rstrip("/")
        self._services: dict[str, SoapService] = {
            name: SoapService(
                wsdl_dir / f"{name}.wsdl", f"{root}/{name}{self.endpoint_suffix}", self.system
            )
            for name in self.services
        }

    @abstractmethod
    async def ping(self) -> None:
        """One cheap authenticated call that touches no personal data, for readiness."""

    async def _call(
        self,
        service: str,
        operation: str,
        *,
        idempotent: bool,
        parse: Callable[[Any], T],
        **body: Any,
    ) -> T:
        """One resilient SOAP call whose zeep result ``parse`` maps (errors included).

        Only ``idempotent`` calls are retried (see :meth:`_call_decoded`).
        """
        soap = self._services[service]

        async def attempt() -> T:
            result = await soap.call(
                self._session, self._auth, operation, idempotent=idempotent, **body
            )
            return read_shaped(parse, result, system=self.system, operation=operation)

        return await self._resilience.call(operation, attempt, idempotent=idempotent)

    async def _call_decoded(
        self,
        service: str,
        operation: str,
        decoder: ReplyDecoder[T],
        *,
        idempotent: bool,
        prepared: bytes | None = None,
        **body: Any,
    ) -> T:
        """One resilient SOAP call whose reply ``decoder`` reads (lxml when it can).

        Only ``idempotent`` calls are retried, by the resilience policy and, once and without
        counting as a failure, when a kept-alive connection turns out stale
        (:mod:`connectors.session`); a write is sent once (it carries an idempotency key and
        its caller repeats it). A reply of the wrong shape is a
        :class:`~connectors.errors.MalformedResponse`. ``prepared`` is the request already
        rendered from a template (:meth:`connectors.soap.SoapService.template`).
        """
        soap = self._services[service]

        async def attempt() -> T:
            result: T = await soap.call(
                self._session,
                self._auth,
                operation,
                decoder,
                idempotent=idempotent,
                prepared=prepared,
                **body,
            )
            return result

        return await self._resilience.call(operation, attempt, idempotent=idempotent)
