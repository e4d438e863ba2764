"""The Matrikkel replies' two readings: zeep's (the reference) and lxml's (production).

Each :class:`~connectors.soap.ReplyDecoder` pairs a reader of :mod:`connectors.matrikkel.records`
(zeep objects) with one of :mod:`connectors.matrikkel.read` (lxml elements); the client calls
with these, so it reads with lxml, and the equivalence tests feed the same bytes to both.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from connectors.matrikkel.read import (
    read_address_info,
    read_id_map,
    read_id_values,
    read_objects,
    read_person_id,
)
from connectors.matrikkel.records import (
    StoreRecord,
    address_info_from_zeep,
    id_map_from_zeep,
    id_values_from_zeep,
    objects_from_zeep,
    person_id_from_zeep,
)
from connectors.soap import ReplyDecoder

__all__ = ["ADDRESS_INFO", "ID_MAP", "ID_VALUES", "IGNORED", "PERSON_ID", "objects"]

PERSON_ID: Final[ReplyDecoder[int]] = ReplyDecoder(person_id_from_zeep, read_person_id)
ID_VALUES: Final[ReplyDecoder[list[int]]] = ReplyDecoder(id_values_from_zeep, read_id_values)
ID_MAP: Final[ReplyDecoder[dict[int, list[int]]]] = ReplyDecoder(id_map_from_zeep, read_id_map)
#: findAdresseInfoObjekter: each property's address ids.
ADDRESS_INFO: Final[ReplyDecoder[dict[int, list[int]]]] = ReplyDecoder(
    address_info_from_zeep, read_address_info
)


def _ignore(_reply: Any) -> None:
    return None


#: For a call whose answer does not matter (readiness), beyond being the right reply.
IGNORED: Final[ReplyDecoder[None]] = ReplyDecoder(_ignore, _ignore)


def objects(asked: Mapping[int, str]) -> ReplyDecoder[dict[tuple[str, int], StoreRecord]]:
    """getObjects' records, ``asked`` naming the family each id value was asked for as."""
    return ReplyDecoder(
        lambda result: objects_from_zeep(result, asked),
        lambda output: read_objects(output, asked),
    )
