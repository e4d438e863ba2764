"""Parsed and validated documents, cached by their text, bounded by bytes: :class:`DocumentCache`.

Strawberry's ``ParserCache`` and ``ValidationCache`` are bounded by entries (256 each here):
300 anonymous 1 MB queries (a long comment parses to a tiny document) raised the gateway's RSS
from 223 to 499 MB, and a dense query's syntax tree is about a hundred times its text (every
token is kept, with its location). This cache replaces both:

- it is bounded by the estimated memory of its entries (:func:`estimated_bytes`: the text plus
  :data:`TOKEN_BYTES` per token), :data:`MAX_BYTES` in all, least recently used first out;
- a query longer than :data:`MAX_QUERY_CHARS` is never cached (no real client sends one);
- only a document that parsed *and* validated is cached, so a client cannot fill it with
  garbage; a hit skips both parsing and validation.

The key is the query text with the parse options (the token limit) and the validation rules,
so a document is reused only where it was validated under the same rules.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable, Iterator
from dataclasses import dataclass
from typing import Final

from cachetools import LRUCache
from graphql import DocumentNode
from strawberry.extensions import SchemaExtension

__all__ = [
    "MAX_BYTES",
    "MAX_QUERY_CHARS",
    "TOKEN_BYTES",
    "CachedDocuments",
    "DocumentCache",
    "estimated_bytes",
]

MAX_BYTES: Final = 16 * 1024 * 1024
MAX_QUERY_CHARS: Final = 64 * 1024
#: Memory per token of a parsed document: its Token (kept, linked) and its share of the nodes
#: and locations; measured at about 355 bytes on a dense query of 5,000 tokens.
TOKEN_BYTES: Final = 400


def estimated_bytes(query: str, document: DocumentNode) -> int:
    """What a cached entry costs: its text plus :data:`TOKEN_BYTES` per token of its tree."""
    tokens = 0
    token = document.loc.start_token if document.loc is not None else None
    while token is not None:
        tokens += 1
        token = token.next
    return len(query) + TOKEN_BYTES * tokens


@dataclass(frozen=True)
class _Entry:
    document: DocumentNode
    size: int


def _size(entry: _Entry) -> int:
    return entry.size


class DocumentCache:
    """Valid documents by (query text, parse options, validation rules), bounded by bytes."""

    def __init__(self, max_bytes: int = MAX_BYTES, max_query_chars: int = MAX_QUERY_CHARS) -> None:
        self.max_bytes = max_bytes
        self.max_query_chars = max_query_chars
        self._entries: LRUCache[Hashable, _Entry] = LRUCache(maxsize=max_bytes, getsizeof=_size)
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> DocumentNode | None:
        with self._lock:
            entry = self._entries.get(key)
        return entry.document if entry is not None else None

    def put(self, key: Hashable, query: str, document: DocumentNode) -> bool:
        """Keep a valid document; False when it is too large to be worth it."""
        if len(query) > self.max_query_chars:
            return False
        size = estimated_bytes(query, document)
        if size > self.max_bytes:
            return False
        with self._lock:
            self._entries[key] = _Entry(document, size)
        return True

    @property
    def total_bytes(self) -> int:
        """The estimated bytes of every cached entry."""
        with self._lock:
            return int(self._entries.currsize)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class CachedDocuments(SchemaExtension):
    """The schema extension over a shared :class:`DocumentCache` (a fresh instance per request:
    pass ``lambda: CachedDocuments(cache)``). It reads the parse options and validation rules
    (part of the key) when parsing starts, after every extension's ``on_operation`` set them."""

    def __init__(self, cache: DocumentCache) -> None:
        self.cache = cache
        self._key: Hashable | None = None
        self._hit = False

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        self._hit = False
        self._key = None
        query = context.query
        if context.graphql_document is None and query and len(query) <= self.cache.max_query_chars:
            self._key = (
                query,
                tuple(sorted(context.parse_options.items())),
                tuple(context.validation_rules),
            )
            document = self.cache.get(self._key)
            if document is not None:
                context.graphql_document = document  # strawberry parses only when it is None
                self._hit = True
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if self._hit:
            context.pre_execution_errors = []  # validated when it was cached
        yield
        errors = context.pre_execution_errors
        if (
            not self._hit
            and self._key is not None
            and errors is not None
            and not errors
            and context.query
            and context.graphql_document is not None
        ):
            self.cache.put(self._key, context.query, context.graphql_document)
