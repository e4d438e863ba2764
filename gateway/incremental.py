"""Incremental delivery (``@defer``/``@stream``) over HTTP: which format a client gets.

graphql-core 3.3 produces the payloads of the current incremental-delivery proposal
(``pending``/``completed`` with ids, ``subPath``, stream ``items`` without an index).
Apollo Client asks for the older format it implements with
``Accept: multipart/mixed;deferSpec=20220824``, where every ``incremental`` entry carries its
absolute ``path`` and a fragment that failed as a whole arrives as ``data: null`` with its
``errors``. :class:`Defer20220824` adds those fields to graphql-core's payloads, so one
response serves both kinds of client: the newer fields stay, the older ones are added.

A client that did not ask for ``multipart/mixed`` (curl's ``*/*``, an old client) gets the
whole answer as one ``application/json`` body, as if the query had no ``@defer``:
:func:`merge_payloads` folds the parts together (the spec lets a server deliver deferred
data at once).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from strawberry.http.streaming import MultipartDataStream, MultipartTextStream, MultipartTransport

from kernel.errors import ErrorCode
from kernel.logs import current_request_id
from schema import observe
from schema.observe import INTERNAL_MESSAGE, current_operation

DEFER_SPEC = "20220824"

Payload = dict[str, Any]
PathKey = str | int


def _media_ranges(accept: str) -> list[tuple[str, dict[str, str]]]:
    """The media ranges of an ``Accept`` header, lower-cased, with their parameters."""
    ranges: list[tuple[str, dict[str, str]]] = []
    for part in accept.split(","):
        media, *params = (item.strip() for item in part.split(";"))
        parsed = {}
        for param in params:
            name, _, value = param.partition("=")
            parsed[name.strip().lower()] = value.strip().strip("\"'")
        ranges.append((media.lower(), parsed))
    return ranges


def accepts_multipart(accept: str) -> bool:
    """Whether the client asked for ``multipart/mixed`` by name (not through ``*/*``)."""
    return any(media == "multipart/mixed" for media, _ in _media_ranges(accept))


def wants_defer_20220824(accept: str) -> bool:
    """Whether the client asked for the 2022-08-24 format (Apollo Client, Apollo Router)."""
    return any(
        media == "multipart/mixed" and params.get("deferspec") == DEFER_SPEC
        for media, params in _media_ranges(accept)
    )


@dataclass
class Defer20220824:
    """Adds the 2022-08-24 fields to one response's payloads, in order (it keeps state).

    ``failed_as_null`` also turns a fragment that failed as a whole (its errors only in
    ``completed``, where a 2022-08-24 client does not look) into an ``incremental`` entry
    with ``data: null`` and the errors; only for clients that asked for that format, since it
    is an entry without ``id`` that the newer format does not have.
    """

    failed_as_null: bool
    _pending: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    _streamed: dict[str, int] = field(default_factory=dict)

    def __call__(self, payload: Payload) -> Payload:
        """The payload with absolute paths (and the failed fragments, see the class)."""
        for pending in payload.get("pending") or ():
            self._pending[pending["id"]] = pending
        incremental = [self._entry(entry) for entry in payload.get("incremental") or ()]
        self._count_initial_items(payload, incremental)
        for completed in payload.get("completed") or ():
            pending = self._pending.get(completed["id"])
            if self.failed_as_null and pending is not None and completed.get("errors"):
                key = "items" if completed["id"] in self._streamed else "data"
                failed: Payload = {key: None, "path": pending["path"]}
                failed["errors"] = completed["errors"]
                if pending.get("label") is not None:
                    failed["label"] = pending["label"]
                incremental.append(failed)
        if incremental:
            payload = {**payload, "incremental": incremental}
        if "extensions" in payload and payload["extensions"] is None:
            # Strawberry writes `"extensions": null`; the spec wants a map or nothing.
            payload = {key: value for key, value in payload.items() if key != "extensions"}
        return payload

    def _count_initial_items(self, payload: Payload, incremental: list[Payload]) -> None:
        # A stream's first items (``initialCount``) arrive with the list itself; the indices
        # of its later items count on from there.
        roots: list[tuple[list[PathKey], Any]] = [([], payload.get("data"))]
        roots += [(entry["path"], entry.get("data")) for entry in incremental]
        for pending in payload.get("pending") or ():
            path = list(pending["path"])
            for root_path, root in roots:
                if path[: len(root_path)] == root_path:
                    value = _descend(root, path[len(root_path) :])
                    if isinstance(value, list):
                        self._streamed.setdefault(pending["id"], len(value))

    def _entry(self, entry: Payload) -> Payload:
        pending = self._pending.get(entry.get("id", ""))
        if pending is None:  # already absolute (a format this adapter does not know)
            return entry
        path: list[PathKey] = list(pending["path"])
        if "items" in entry:
            # A streamed list's items come without their index: count them per stream.
            seen = self._streamed.get(entry["id"], 0)
            self._streamed[entry["id"]] = seen + len(entry["items"] or ())
            path.append(seen)
        else:
            path.extend(entry.get("subPath") or ())
        adapted = {**entry, "path": path}
        if pending.get("label") is not None:
            adapted["label"] = pending["label"]
        else:
            adapted.pop("label", None)
        return adapted


def _descend(data: Any, path: list[PathKey]) -> Any:
    for key in path:
        if isinstance(data, dict) and isinstance(key, str):
            data = data.get(key)
        elif isinstance(data, list) and isinstance(key, int) and 0 <= key < len(data):
            data = data[key]
        else:
            return None
    return data


def _deep_merge(target: dict[str, Any], extra: Mapping[str, Any]) -> None:
    for key, value in extra.items():
        present = target.get(key)
        if isinstance(present, dict) and isinstance(value, Mapping):
            _deep_merge(present, value)
        elif isinstance(present, list) and isinstance(value, list):
            for index, item in enumerate(value):
                if index < len(present) and isinstance(present[index], dict):
                    _deep_merge(present[index], item)
                elif index >= len(present):
                    present.append(item)
        else:
            target[key] = value


def merge_payloads(payloads: list[Payload]) -> Payload:
    """One ``{"data", "errors"?, "extensions"?}`` result from a response's payloads.

    ``payloads`` have absolute paths (:class:`Defer20220824` with ``failed_as_null``), so
    every error, also of a fragment that failed as a whole, lands in ``errors``.
    """
    initial, *subsequent = payloads
    data = initial.get("data")
    errors: list[Any] = list(initial.get("errors") or ())
    for payload in subsequent:
        for entry in payload.get("incremental") or ():
            errors.extend(entry.get("errors") or ())
            path: list[PathKey] = list(entry.get("path") or ())
            if entry.get("items"):
                target = _descend(data, path[:-1])
                if isinstance(target, list):
                    target.extend(entry["items"])
            elif entry.get("data"):
                target = _descend(data, path)
                if isinstance(target, dict):
                    _deep_merge(target, entry["data"])
    merged: Payload = {"data": data}
    if errors:
        merged["errors"] = errors
    if initial.get("extensions"):
        merged["extensions"] = initial["extensions"]
    return merged


def _has_errors(payload: Payload) -> bool:
    if payload.get("errors"):
        return True
    parts = [*(payload.get("incremental") or ()), *(payload.get("completed") or ())]
    return any(isinstance(part, dict) and part.get("errors") for part in parts)


def mask_internal_errors(payload: Payload) -> None:
    """The last guard on the errors of later payloads: none may leave without a code.

    The schema codes, masks and logs them already (:func:`schema.observe.observe_deferred`).
    An error that still has no ``extensions.code`` here is a fault that escaped it: sent as
    ``INTERNAL`` with the request id, never with its text, and logged at ERROR once per
    payload, at the bounded rate of the gateway's faults (``schema.observe.FAULT_LINES``).
    """
    parts = [*(payload.get("incremental") or ()), *(payload.get("completed") or ())]
    masked: list[str] = []
    for part in parts:
        if not isinstance(part, dict) or not part.get("errors"):
            continue
        part["errors"] = [_masked(error, masked) for error in part["errors"]]
    if masked:
        more = f" and {len(masked) - 1} more field(s)" if len(masked) > 1 else ""
        observe.FAULT_LINES.log(
            logging.ERROR,
            "GraphQL deferred field %s%s: internal error (request %s)",
            masked[0],
            more,
            current_request_id() or "-",
        )


def _masked(error: Any, paths: list[str]) -> Any:
    if not isinstance(error, dict) or (error.get("extensions") or {}).get("code"):
        return error
    rid = current_request_id()
    paths.append(".".join(str(key) for key in error.get("path") or ()) or "-")
    extensions: dict[str, Any] = {"code": ErrorCode.INTERNAL.value}
    if rid is not None:
        extensions["requestId"] = rid
    replaced: dict[str, Any] = {"message": INTERNAL_MESSAGE, "extensions": extensions}
    for key in ("locations", "path"):
        if key in error:
            replaced[key] = error[key]
    return replaced


class PayloadStream:
    """The multipart text of a response, with its payloads still at hand.

    Strawberry hands the view only a text stream for an incremental result; keeping the
    payload generator beside it lets the view choose the format per request (multipart in
    one of two shapes, or a single JSON body) without parsing its own output back.
    """

    def __init__(
        self,
        payloads: MultipartDataStream,
        transport: MultipartTransport,
        encode_json: Callable[[object], str],
    ) -> None:
        self.payloads = payloads
        self.transport = transport
        self.encode_json = encode_json

    def adapted(self, adapter: Defer20220824) -> AsyncGenerator[Payload, None]:
        """The payloads, in order, with the 2022-08-24 fields added."""

        record = current_operation.get()

        async def generate() -> AsyncGenerator[Payload, None]:
            async for payload in self.payloads():
                if not isinstance(payload, dict):
                    raise TypeError("an incremental payload is a JSON object")
                if _has_errors(payload):
                    if record is not None and record.outcome == "ok":
                        record.outcome = "errors"  # a deferred part failed (gateway.observe)
                    mask_internal_errors(payload)
                yield adapter(payload)

        return generate()

    def multipart(self, adapter: Defer20220824) -> MultipartTextStream:
        """The multipart/mixed body, one part per payload."""

        async def payloads() -> AsyncGenerator[object, None]:
            async for payload in self.adapted(adapter):
                yield payload

        return self.transport.stream(payloads, self.encode_json)

    def __call__(self) -> AsyncGenerator[str, None]:
        # What strawberry would send, for a caller that treats this as a plain text stream.
        return self.multipart(Defer20220824(failed_as_null=False))()


class KeptPayloadsTransport(MultipartTransport):
    """Strawberry's multipart transport, answering a :class:`PayloadStream`."""

    def stream(self, data: MultipartDataStream, encode_json: Callable[[object], str]) -> Any:
        """A :class:`PayloadStream` (a text stream that keeps its payloads)."""
        return PayloadStream(data, MultipartTransport(self.separator), encode_json)


__all__ = [
    "Defer20220824",
    "KeptPayloadsTransport",
    "PayloadStream",
    "accepts_multipart",
    "merge_payloads",
    "wants_defer_20220824",
]
