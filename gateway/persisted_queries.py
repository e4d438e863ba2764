"""Persisted queries on /graphql: automatic persisted queries (APQ) as Apollo Client's
persisted-queries link and urql's ``persistedExchange`` speak them, trusted documents, and
which queries may come over GET.

The wire format: ``extensions.persistedQuery = {"version": 1, "sha256Hash": "<hex>"}``, the
hash being the SHA-256 of the query text, in a POST body or URL-encoded in a GET's
``extensions`` parameter.

- ``MINSIDE_PERSISTED_QUERIES=apq`` (default): a hash-only request with an unknown hash gets
  HTTP 200 ``{"errors":[{"message":"PersistedQueryNotFound","extensions":{"code":
  "PERSISTED_QUERY_NOT_FOUND"}}]}``; both clients then resend the query with the hash, which
  is checked (``provided sha does not match query``, 400) and executed, and stored unless it
  failed to parse or validate. The store is
  an in-process LRU bounded by bytes and, with ``MINSIDE_REDIS_URL``, Redis
  (``<prefix>apq:<hash>``, 7 days), shared by every worker. Query texts are public (they hold
  no personal data; variables are never stored). A text read back is hashed again, so a
  tampered Redis value is a miss.
- ``trusted-only``: only the documents of ``MINSIDE_TRUSTED_DOCUMENTS_FILE`` run, by hash or
  in full; anything else is refused (400 ``PERSISTED_QUERY_NOT_ALLOWED``) and nothing is
  registered.
- ``off``: a hash-only request gets ``PersistedQueryNotSupported`` (HTTP 200), on which both
  clients stop sending hashes; a full query with a hash runs as a plain query.

Trusted documents may also be named the way Relay and the GraphQL-over-HTTP persisted
documents proposal name them (only with ``trusted-only``; elsewhere such a request is 400
``PERSISTED_QUERY_NOT_SUPPORTED``):

- Relay (``relay-compiler`` ``persistConfig`` with a local ``file``, MD5 by default) writes
  ``{"<md5 hex>": "<query text>"}`` and its network layer sends ``{"doc_id": "<id>",
  "variables": …}``;
- the proposal sends ``documentId``: ``"sha256:<hex>"`` (or ``md5:``/``sha1:``), or a bare id
  as the manifest spells it.

Both come in a POST body or as GET parameters. A manifest's keys may be MD5, SHA-1 or
SHA-256 hex (by length, optionally prefixed ``md5:``/``sha1:``/``sha256:``), each checked
against its text at start-up; a document is then reachable by its manifest key and by any of
the three hashes of its text.

``MINSIDE_GRAPHQL_GET_QUERIES=persisted`` (default): a GET must carry a persisted query's
hash (a GET with a full query and no hash is 405); ``all`` allows any query over GET.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Final

from cachetools import LRUCache
from cross_web import AsyncHTTPRequestAdapter
from graphql import GraphQLError, parse
from redis.asyncio import Redis
from redis.exceptions import RedisError
from strawberry.http import GraphQLRequestData

from gateway.http_protocol import RequestRefused, decode_json_object
from kernel.errors import ErrorCode
from kernel.settings import Settings, SettingsError

__all__ = [
    "APQ_TTL_S",
    "DOCUMENT_ID_PARAMETERS",
    "MAX_STORED_QUERY_BYTES",
    "MEMORY_BYTES",
    "PersistedQueries",
    "QueryStore",
    "TrustedDocuments",
    "load_trusted_documents",
    "names_persisted_document",
    "sha256_hex",
]

log = logging.getLogger("minside.graphql")

# Larger queries are executed but not stored (a client resends them in full next time).
MAX_STORED_QUERY_BYTES: Final = 64 * 1024
# The in-process store's bound, over the query texts' UTF-8 bytes.
MEMORY_BYTES: Final = 8 * 1024 * 1024
# How long Redis keeps a registered query after its last registration.
APQ_TTL_S: Final = 7 * 24 * 3600

_SHA256_HEX: Final = re.compile(r"[0-9a-f]{64}")
_VARIABLE: Final = "MINSIDE_TRUSTED_DOCUMENTS_FILE"


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


# A manifest key's algorithm by its length in hex digits (Relay: MD5 unless configured;
# GraphQL Codegen: SHA-1 or SHA-256).
_ALGORITHMS: Final = {32: "md5", 40: "sha1", 64: "sha256"}
_KEY: Final = re.compile(r"(?:(md5|sha1|sha256):)?([0-9a-f]+)")
#: Request members (POST body) and GET parameters that name a trusted document by id.
DOCUMENT_ID_PARAMETERS: Final = ("documentId", "doc_id")


def _digest(algorithm: str, text: str) -> str:
    data = text.encode("utf-8", "surrogatepass")
    return hashlib.new(algorithm, data, usedforsecurity=False).hexdigest()


class TrustedDocuments:
    """The trusted documents of a manifest, by SHA-256 (APQ hashes, full queries) and by id
    (``doc_id``, ``documentId``: the manifest's own keys and ``<algorithm>:<hex>``)."""

    def __init__(self, documents: dict[str, str] | None = None) -> None:
        self.by_sha256: dict[str, str] = {}
        self.by_id: dict[str, str] = {}
        for key, text in (documents or {}).items():
            self.add(key, text)

    def add(self, key: str, text: str) -> None:
        """Add ``text`` under its manifest ``key`` (already checked) and its three hashes."""
        self.by_id[key] = text
        for algorithm in ("md5", "sha1", "sha256"):
            self.by_id[f"{algorithm}:{_digest(algorithm, text)}"] = text
        self.by_sha256[sha256_hex(text)] = text

    def __contains__(self, sha: object) -> bool:
        return sha in self.by_sha256

    def __len__(self) -> int:
        return len(self.by_sha256)


def load_trusted_documents(path: Path) -> TrustedDocuments:
    """The manifest ``{"<hash hex>": "<query text>"}``: GraphQL Codegen's client preset
    ``persisted-documents.json`` (SHA-256 or SHA-1) or Relay's persisted queries file (MD5 by
    default), each key checked against its text's hash (the algorithm told by the key's length
    or an ``md5:``/``sha1:``/``sha256:`` prefix) and each document parsed; else a
    :class:`SettingsError` naming the file and the entry."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise SettingsError(f"{_VARIABLE}: {path}: cannot be read as JSON ({exc})") from exc
    if not isinstance(value, dict):
        raise SettingsError(f"{_VARIABLE}: {path}: must be a JSON object of hash: query")
    documents = TrustedDocuments()
    for key, text in value.items():
        match = _KEY.fullmatch(key)
        algorithm = match and (match.group(1) or _ALGORITHMS.get(len(match.group(2))))
        if not isinstance(text, str) or match is None or not algorithm:
            raise SettingsError(
                f"{_VARIABLE}: {path}: entry {key!r}: keys must be lower-case MD5, SHA-1 or "
                "SHA-256 hex and values query texts"
            )
        if _digest(algorithm, text) != match.group(2):
            raise SettingsError(
                f"{_VARIABLE}: {path}: entry {key!r}: not the query's {algorithm.upper()}"
            )
        try:
            parse(text)
        except GraphQLError as exc:
            raise SettingsError(
                f"{_VARIABLE}: {path}: entry {key!r}: not a GraphQL document ({exc.message})"
            ) from exc
        documents.add(key, text)
    return documents


def names_persisted_document(params: Mapping[str, object]) -> bool:
    """Whether a GET's parameters name a persisted document (a hash or a document id): such a
    GET is an API call, not a browser asking for GraphiQL."""
    return any(params.get(name) for name in ("extensions", *DOCUMENT_ID_PARAMETERS))


def _size(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


class QueryStore:
    """Registered APQ texts by hash: an in-process LRU, and Redis when there is one."""

    def __init__(self, redis: Redis | None = None, prefix: str = "minside:") -> None:
        self._memory: LRUCache[str, str] = LRUCache(maxsize=MEMORY_BYTES, getsizeof=_size)
        self._redis = redis
        self._prefix = prefix

    def _key(self, sha: str) -> str:
        return f"{self._prefix}apq:{sha}"

    async def get(self, sha: str) -> str | None:
        text = self._memory.get(sha)
        if text is not None or self._redis is None:
            return text
        try:
            raw = await self._redis.get(self._key(sha))
        except (RedisError, OSError) as exc:
            log.warning("persisted query store (Redis) unavailable: %s", type(exc).__name__)
            return None
        if not isinstance(raw, bytes):
            return None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return None
        if sha256_hex(text) != sha:  # tampered or corrupt: a miss, never another query
            return None
        self._memory[sha] = text
        return text

    async def put(self, sha: str, text: str) -> None:
        if _size(text) > MAX_STORED_QUERY_BYTES:
            return
        self._memory[sha] = text
        if self._redis is None:
            return
        try:
            await self._redis.set(self._key(sha), text.encode("utf-8"), ex=APQ_TTL_S)
        except (RedisError, OSError) as exc:
            log.warning("persisted query store (Redis) unavailable: %s", type(exc).__name__)


class PersistedQueries:
    """Resolves a request's ``persistedQuery`` extension into its query text, in place."""

    def __init__(
        self,
        mode: str,
        get_queries: str,
        store: QueryStore,
        trusted: TrustedDocuments | None = None,
    ) -> None:
        self.mode = mode
        self.get_queries = get_queries
        self.store = store
        self.trusted = trusted or TrustedDocuments()

    @classmethod
    def from_settings(cls, settings: Settings, redis: Redis | None) -> PersistedQueries:
        trusted: TrustedDocuments | None = None
        if settings.persisted_queries == "trusted-only":
            if settings.trusted_documents_file is None:
                raise SettingsError(
                    "MINSIDE_PERSISTED_QUERIES=trusted-only needs MINSIDE_TRUSTED_DOCUMENTS_FILE"
                )
            trusted = load_trusted_documents(settings.trusted_documents_file)
        return cls(
            settings.persisted_queries,
            settings.graphql_get_queries,
            QueryStore(redis, settings.redis_key_prefix),
            trusted,
        )

    async def resolve(self, data: GraphQLRequestData, request: AsyncHTTPRequestAdapter) -> None:
        """Fill in ``data.query`` from its hash or document id, register it, or refuse the
        request."""
        method = request.method
        persisted = (data.extensions or {}).get("persistedQuery")
        if persisted is None and data.query is None:
            document_id = await _document_id(request)
            if document_id is not None:
                data.query = self._trusted_by_id(document_id)
                return
        if persisted is None or (self.mode == "off" and data.query is not None):
            self._check_plain(data.query, method)
            return
        if not isinstance(persisted, dict) or persisted.get("version") != 1:
            raise RequestRefused(
                400,
                "unsupported persistedQuery: only version 1 with sha256Hash is supported",
                ErrorCode.PERSISTED_QUERY_NOT_SUPPORTED,
            )
        if self.mode == "off":
            raise RequestRefused(
                200, "PersistedQueryNotSupported", ErrorCode.PERSISTED_QUERY_NOT_SUPPORTED
            )
        sha = persisted.get("sha256Hash")
        if not isinstance(sha, str) or not _SHA256_HEX.fullmatch(sha):
            raise RequestRefused(400, "persistedQuery.sha256Hash must be lower-case SHA-256 hex")
        if data.query is not None:
            if sha256_hex(data.query) != sha:
                raise RequestRefused(400, "provided sha does not match query")
            if self.mode == "trusted-only":
                self._check_trusted(sha)
            return  # registered by register() once it parsed and validated
        if self.mode == "trusted-only":
            self._check_trusted(sha)
            data.query = self.trusted.by_sha256[sha]
            return
        text = await self.store.get(sha)
        if text is None:
            raise RequestRefused(200, "PersistedQueryNotFound", ErrorCode.PERSISTED_QUERY_NOT_FOUND)
        data.query = text

    async def register(self, data: GraphQLRequestData) -> None:
        """Store an APQ registration (query and hash, checked by :meth:`resolve`) once the
        query has parsed and validated: documents that fail are not kept."""
        persisted = (data.extensions or {}).get("persistedQuery")
        if self.mode != "apq" or data.query is None or not isinstance(persisted, dict):
            return
        sha = persisted.get("sha256Hash")
        if isinstance(sha, str) and sha256_hex(data.query) == sha:
            await self.store.put(sha, data.query)

    def _trusted_by_id(self, document_id: str) -> str:
        """The trusted document a ``doc_id``/``documentId`` names, or a refusal."""
        if self.mode != "trusted-only":
            raise RequestRefused(
                400,
                "documentId and doc_id name trusted documents, which this gateway does not "
                "use; send the query or extensions.persistedQuery",
                ErrorCode.PERSISTED_QUERY_NOT_SUPPORTED,
            )
        text = self.trusted.by_id.get(document_id)
        if text is None:
            raise RequestRefused(
                400,
                "only trusted documents are executed here; this id is not in the manifest",
                ErrorCode.PERSISTED_QUERY_NOT_ALLOWED,
            )
        return text

    def _check_trusted(self, sha: str) -> None:
        if sha not in self.trusted:
            raise RequestRefused(
                400,
                "only trusted documents are executed here; this one is not in the manifest",
                ErrorCode.PERSISTED_QUERY_NOT_ALLOWED,
            )

    def _check_plain(self, query: str | None, method: str) -> None:
        """A request without a hash: allowed unless trusted-only or a GET where only
        persisted queries may come by GET."""
        if query is None:
            return  # strawberry answers "No GraphQL query found"
        if self.mode == "trusted-only":
            self._check_trusted(sha256_hex(query))
        elif method == "GET" and self.get_queries == "persisted":
            raise RequestRefused(
                405,
                "a query sent with GET must be a persisted query (extensions.persistedQuery); "
                "send other queries with POST",
                ErrorCode.PERSISTED_QUERY_REQUIRED,
            )


async def _document_id(request: AsyncHTTPRequestAdapter) -> str | None:
    """The ``documentId`` (GraphQL over HTTP) or ``doc_id`` (Relay) of a request that has no
    query and no ``persistedQuery``: a GET parameter, or a member of the JSON body (parsed again:
    strawberry keeps only the members it knows, and such a body is small)."""
    if request.method == "GET":
        values: Mapping[str, object] = request.query_params
    elif "json" in (request.content_type or ""):
        values = decode_json_object(await request.get_body())
    else:
        return None
    named = [values[name] for name in DOCUMENT_ID_PARAMETERS if values.get(name) is not None]
    if not named:
        return None
    if len(named) > 1 or not isinstance(named[0], str) or not named[0]:
        raise RequestRefused(400, "documentId (or doc_id) must be one non-empty string")
    return named[0]
