"""Per-request dataloaders of the citizen's own data."""

from __future__ import annotations

from collections.abc import Sequence

from connectors.errors import NotFound
from connectors.p360.client import P360Client
from connectors.p360.models import PrivatePerson
from resolvers.loaders import RequestLoader
from resolvers.read_cache import CachePolicy

__all__ = ["PrivatePersonByPidLoader"]


class PrivatePersonByPidLoader(RequestLoader[str, PrivatePerson | None]):
    """The person as Public 360 knows them (``GetPrivatePersons``), keyed by the viewer's pid.

    A loader, so however many aliases of ``viewer { name }`` a query has cost one call, and
    cached like every other read. None: the archive does not know the person.
    """

    system = "p360"
    cache_policy = CachePolicy("p360.person", ttl_s=3600)

    async def fetch(self, pids: Sequence[str]) -> list[PrivatePerson | None]:
        p360 = self.context.services.connectors.get(P360Client)
        return [await self._person(p360, pid) for pid in pids]

    async def _person(self, p360: P360Client, pid: str) -> PrivatePerson | None:
        try:
            return await self.call(p360.private_person(pid))
        except NotFound:
            return None
