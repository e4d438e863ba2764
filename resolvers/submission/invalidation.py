"""The viewer's own writes make the reads they change be fetched again.

After a submission is accepted, the cached reads it changes are forgotten, so the next page
shows the write as the back-office system has it: a meter reading refreshes the fee-service
record of the meter's property (its meters and readings), an application refreshes the
viewer's cases and their documents.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from auth.viewer import Viewer
from resolvers.case.loaders import CasesByPidLoader, DocumentsByPidLoader
from resolvers.context import Context
from resolvers.loaders import RequestLoader
from resolvers.property.loaders import PropertyRecordByMatrikkelnummerLoader

__all__ = ["forget", "forget_cases", "forget_meter_property"]


async def forget(
    context: Context,
    viewer: Viewer,
    loader: type[RequestLoader[Any, Any]],
    keys: Sequence[object],
) -> None:
    """Forget the cached reads of `loader` for `keys` (nothing to do with the cache off)."""
    read_cache = context.services.read_cache
    if read_cache is None or loader.cache_policy is None:
        return
    await read_cache.invalidate(loader.cache_policy, keys, viewer.pid)


async def forget_meter_property(context: Context, viewer: Viewer, matrikkelnummer: str) -> None:
    """A reading of a meter on `matrikkelnummer` was accepted: refetch that property's record."""
    await forget(context, viewer, PropertyRecordByMatrikkelnummerLoader, [matrikkelnummer])


async def forget_cases(context: Context, viewer: Viewer) -> None:
    """An application was accepted: refetch the viewer's cases and documents.

    (Documents read per case, :class:`DocumentsByCaseNumberLoader`, need no forgetting: an
    application makes a new case, whose number nothing has cached yet.)"""
    for loader in (CasesByPidLoader, DocumentsByPidLoader):
        await forget(context, viewer, loader, [viewer.pid])
