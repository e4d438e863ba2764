"""Rate limits: each viewer and each client has a budget of operation cost per time window.

An operation's static cost (:mod:`schema.cost`, the same number its response reports in
``extensions.cost.requested``) is charged before it executes, to every budget the request
counts against:

- ``viewer``: the logged-in citizen, over all clients (``MINSIDE_RATE_LIMIT_VIEWER_COST``),
  keyed by the viewer's pseudonym (:meth:`kernel.server_secret.ServerSecret.viewer_key`),
  never by the fødselsnummer;
- ``client``: the client the request comes through (``viewer.client``: a bearer token's
  ``client_id``), over all its citizens. A partner portal's budget is its ``rate_limit`` in the
  catalogue (``MINSIDE_PARTNERS_FILE``, with its own window), else
  ``MINSIDE_RATE_LIMIT_CLIENT_COST``. Min side's own client (browser sessions, and tokens issued
  to ``MINSIDE_IDPORTEN_CLIENT_ID``) has ``MINSIDE_RATE_LIMIT_OWN_CLIENT_COST``, none by
  default: each citizen's budget is enough;
- ``anonymous``: a request without credentials (public fields only), keyed by a pseudonym of
  its client IP address (``MINSIDE_RATE_LIMIT_ANONYMOUS_COST``).

A budget is a fixed window that starts with its first charge and lasts
``MINSIDE_RATE_LIMIT_WINDOW_S``. A charge is all or nothing: when the cost would take any
budget past its limit, nothing is charged and the operation is refused (nothing executes, no
back-office system is asked): HTTP 429, ``Retry-After`` and a ``RATE_LIMITED`` error whose
extensions say which budget (``scope``), its ``limit`` per ``window`` seconds, and
``retryAfter`` seconds. A budget of 0 is no limit.

Every /graphql response the limiter saw (charged or not: a request error is not charged but
still told its budgets) carries the budgets in two forms:

- IETF draft-ietf-httpapi-ratelimit-headers (structured fields): ``RateLimit-Policy:
  "viewer";q=100000;w=60`` (quota and window of each budget; the quota unit is cost) and
  ``RateLimit: "viewer";r=99339;t=42`` (remaining and seconds until the window ends);
- the widely used ``RateLimit-Limit``, ``RateLimit-Remaining`` and ``RateLimit-Reset``
  (seconds) of the budget with the least remaining.

The counters are in-process (:class:`MemoryRateStore`: one worker's own) unless
``MINSIDE_REDIS_URL`` is set; then in Redis (:class:`RedisRateStore`, one Lua script per
charge, atomic over all the request's budgets), shared by every worker and replica. A Redis that
fails or answers later than :data:`OP_TIMEOUT_S` does not take the API down: the request is
let through unlimited and without headers (fail open), one WARNING is logged, Redis is left
alone for :data:`BREAKER_OPEN_S` (those requests too pass unchecked) and each unchecked request
counts in ``minside_rate_limit_unchecked``. Refusals count in ``minside_rate_limited`` by scope.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import math
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Final, Protocol

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import GraphQLError
from redis.asyncio import Redis
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from auth.middleware import viewer_of
from auth.viewer import Viewer
from kernel.errors import ErrorCode
from kernel.partners import Client
from kernel.redis_client import GUARD_OP_TIMEOUT_S, GUARD_SKIP_S, REDIS_FAILURES, RedisGuard
from kernel.server_secret import ServerSecret
from kernel.settings import Settings
from resolvers.context import Context
from schema.cost import LimitCosts
from schema.observe import current_operation

__all__ = [
    "BREAKER_OPEN_S",
    "HEADER_NAMES",
    "OP_TIMEOUT_S",
    "Budget",
    "ChargeCosts",
    "Decision",
    "MemoryRateStore",
    "RateLimitGate",
    "RateLimitObserver",
    "RateLimiter",
    "RateStore",
    "RateStoreUnavailable",
    "RedisRateStore",
]

log = logging.getLogger(__name__)

# As the read cache's: a rate-limit check slower than this lets the request through unchecked;
# after a failure Redis is left alone this long before one request tries it again.
OP_TIMEOUT_S: Final = GUARD_OP_TIMEOUT_S
BREAKER_OPEN_S: Final = GUARD_SKIP_S

SCOPE_KEY: Final = "minside.rate_limit"

#: The response headers :meth:`Decision.headers` may set (a partner's page reads them through
#: CORS: gateway.partners exposes them).
HEADER_NAMES: Final = (
    "RateLimit-Policy",
    "RateLimit",
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
    "Retry-After",
)


#: What a /files download costs in a budget: like ``node(id:)`` (schema.cost), one object read
#: from a back-office system (the archive or the ERP, after the ownership check's reads).
DOWNLOAD_COST: Final = 10


@dataclass(frozen=True)
class Budget:
    """One budget a request counts against: ``limit`` cost per ``window_s`` for ``key``."""

    scope: str  # "viewer", "client" or "anonymous": the policy's name in the headers
    key: str  # the store's key (a pseudonym or client id; never a fødselsnummer or address)
    limit: int
    window_s: int


@dataclass(frozen=True)
class BudgetState:
    """A budget after a charge (or a look): what is left and when its window ends."""

    budget: Budget
    used: int
    reset_s: int  # whole seconds until the window ends (at least 1)

    @property
    def remaining(self) -> int:
        return max(0, self.budget.limit - self.used)


@dataclass(frozen=True)
class Decision:
    """The outcome of a charge: the budgets' states, and the budget that refused it (if any)."""

    states: tuple[BudgetState, ...]
    refused: BudgetState | None = None
    cost: int = 0

    @property
    def retry_after_s(self) -> int:
        return self.refused.reset_s if self.refused is not None else 0

    def headers(self) -> list[tuple[str, str]]:
        """The RateLimit headers (both forms, see the module doc); none without budgets."""
        if not self.states:
            return []
        policy = ", ".join(
            f'"{s.budget.scope}";q={s.budget.limit};w={s.budget.window_s}' for s in self.states
        )
        current = ", ".join(
            f'"{s.budget.scope}";r={s.remaining};t={s.reset_s}' for s in self.states
        )
        tightest = self.refused or min(self.states, key=lambda s: (s.remaining, -s.reset_s))
        headers = [
            ("RateLimit-Policy", policy),
            ("RateLimit", current),
            ("RateLimit-Limit", str(tightest.budget.limit)),
            ("RateLimit-Remaining", str(tightest.remaining)),
            ("RateLimit-Reset", str(tightest.reset_s)),
        ]
        if self.refused is not None:
            headers.append(("Retry-After", str(self.retry_after_s)))
        return headers

    def error(self) -> GraphQLError:
        """The ``RATE_LIMITED`` error of a refused charge."""
        refused = self.refused
        assert refused is not None
        budget = refused.budget
        whose = {"viewer": "your", "client": "this client's", "anonymous": "this address's"}
        advice = (
            "Ask for less: it costs more than the whole budget."
            if self.cost > budget.limit
            else f"Try again in {refused.reset_s} s."
        )
        return GraphQLError(
            f"Rate limited: the operation costs {self.cost} and {whose.get(budget.scope, 'the')}"
            f" limit is {budget.limit} per {budget.window_s} s, with {refused.remaining} left"
            f" now. {advice}",
            extensions={
                "code": ErrorCode.RATE_LIMITED.value,
                "scope": budget.scope,
                "cost": self.cost,
                "limit": budget.limit,
                "window": budget.window_s,
                "remaining": refused.remaining,
                "retryAfter": refused.reset_s,
            },
        )


class RateStoreUnavailable(Exception):
    """The store cannot count now (Redis down, slow or skipped after a failure)."""


class RateStore(Protocol):
    """Counters of cost per budget window."""

    async def charge(self, budgets: Sequence[Budget], cost: int) -> tuple[bool, list[BudgetState]]:
        """Adds `cost` to every budget if none goes past its limit (else to none): whether it
        was charged, and each budget's state after. A cost of 0 only looks."""
        ...


def _reset_s(ms: float) -> int:
    return max(1, math.ceil(ms / 1000))


class MemoryRateStore:
    """One process's counters (the default; each worker counts its own requests).

    Windows are timed on `monotonic`; ended ones are dropped whenever the table has grown to
    twice its size after the previous sweep, so memory follows the active budgets.
    """

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._windows: dict[str, tuple[int, float]] = {}  # key -> (used, ends at)
        self._sweep_at = 1024

    async def charge(self, budgets: Sequence[Budget], cost: int) -> tuple[bool, list[BudgetState]]:
        now = self._monotonic()
        if len(self._windows) >= self._sweep_at:
            self._windows = {k: w for k, w in self._windows.items() if w[1] > now}
            self._sweep_at = max(1024, 2 * len(self._windows))
        current: list[tuple[int, float]] = []
        for budget in budgets:
            used, ends = self._windows.get(budget.key, (0, 0.0))
            if ends <= now:
                used, ends = 0, now + budget.window_s
            current.append((used, ends))
        allowed = all(used + cost <= b.limit for b, (used, _) in zip(budgets, current, strict=True))
        states = []
        for budget, (used, ends) in zip(budgets, current, strict=True):
            if allowed and cost > 0:
                used += cost
                self._windows[budget.key] = (used, ends)
            states.append(BudgetState(budget, used, _reset_s((ends - now) * 1000)))
        return allowed, states


# KEYS: the budgets' keys; ARGV: the cost, then each budget's limit and window (ms). Returns
# {charged (0/1), used_1, ttl_ms_1, used_2, ttl_ms_2, ...}. A key without a TTL is a new window.
_CHARGE: Final = """
local cost = tonumber(ARGV[1])
local used, ttl, fresh = {}, {}, {}
local allowed = 1
for i = 1, #KEYS do
  local limit = tonumber(ARGV[2 * i])
  local t = redis.call('PTTL', KEYS[i])
  if t > 0 then
    used[i] = tonumber(redis.call('GET', KEYS[i]) or '0')
    ttl[i] = t
    fresh[i] = false
  else
    used[i] = 0
    ttl[i] = tonumber(ARGV[2 * i + 1])
    fresh[i] = true
  end
  if used[i] + cost > limit then allowed = 0 end
end
local result = {allowed}
for i = 1, #KEYS do
  if allowed == 1 and cost > 0 then
    if fresh[i] then
      redis.call('SET', KEYS[i], cost, 'PX', ttl[i])
    else
      redis.call('INCRBY', KEYS[i], cost)
    end
    used[i] = used[i] + cost
  end
  result[#result + 1] = used[i]
  result[#result + 1] = ttl[i]
end
return result
"""

# What a Redis that is down, hanging or confused raises through redis-py (TimeoutError: ours).


class RedisRateStore:
    """Counters in Redis (``<prefix>rate:<scope>:<key>``), shared by every worker: one Lua
    script per charge, so concurrent charges from any number of processes never overspend.

    Each charge has its own deadline (``op_timeout_s``); a failed or late one raises
    :class:`RateStoreUnavailable` and Redis is then skipped for ``open_s`` (charges raise at
    once) until one charge probes it again, as the read cache does.
    """

    def __init__(
        self,
        client: Redis,
        *,
        prefix: str = "minside:",
        op_timeout_s: float = OP_TIMEOUT_S,
        open_s: float = BREAKER_OPEN_S,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.prefix = prefix
        self._script = client.register_script(_CHARGE)
        self._guard = RedisGuard(
            log,
            "rate limits",
            "requests pass unchecked",
            "counting there",
            op_timeout_s=op_timeout_s,
            skip_s=open_s,
            monotonic=monotonic,
        )

    @property
    def breaker_open(self) -> bool:
        """Whether Redis is being skipped after a failure."""
        return self._guard.open

    def _key(self, budget: Budget) -> str:
        return f"{self.prefix}rate:{budget.scope}:{budget.key}"

    async def charge(self, budgets: Sequence[Budget], cost: int) -> tuple[bool, list[BudgetState]]:
        if self._guard.skip():
            raise RateStoreUnavailable("skipped after a failure")
        args: list[int] = [cost]
        for budget in budgets:
            args += [budget.limit, budget.window_s * 1000]
        try:
            reply = await self._guard.call(
                "charge", self._script(keys=[self._key(b) for b in budgets], args=args)
            )
        except REDIS_FAILURES as exc:
            raise RateStoreUnavailable(type(exc).__name__) from exc
        values = [int(v) for v in reply]
        states = [
            BudgetState(budget, values[1 + 2 * i], _reset_s(values[2 + 2 * i]))
            for i, budget in enumerate(budgets)
        ]
        return values[0] == 1, states


class RateLimitObserver(Protocol):
    """Told of refusals and of requests let through unchecked (``gateway.metrics``)."""

    def on_rate_limited(self, scope: str) -> None: ...

    def on_rate_limit_unchecked(self) -> None: ...


class RateLimiter:
    """The budgets of a request and their charging (see the module doc)."""

    def __init__(
        self,
        store: RateStore,
        secret: ServerSecret,
        *,
        window_s: int = 60,
        viewer_cost: int = 100_000,
        anonymous_cost: int = 100_000,
        client_cost: int = 5_000_000,
        own_client_cost: int = 0,
        observer: RateLimitObserver | None = None,
    ) -> None:
        self.store = store
        self.secret = secret
        self.window_s = window_s
        self.viewer_cost = viewer_cost
        self.anonymous_cost = anonymous_cost
        self.client_cost = client_cost
        self.own_client_cost = own_client_cost
        self.observer = observer
        self._address_key = secret.derive("rate-limit-address")

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        secret: ServerSecret,
        redis: Redis | None,
        *,
        observer: RateLimitObserver | None = None,
    ) -> RateLimiter:
        """In Redis when there is one (``MINSIDE_REDIS_URL``), else in this process."""
        store: RateStore = (
            RedisRateStore(redis, prefix=settings.redis_key_prefix)
            if redis is not None
            else MemoryRateStore()
        )
        return cls(
            store,
            secret,
            window_s=settings.rate_limit_window_s,
            viewer_cost=settings.rate_limit_viewer_cost,
            anonymous_cost=settings.rate_limit_anonymous_cost,
            client_cost=settings.rate_limit_client_cost,
            own_client_cost=settings.rate_limit_own_client_cost,
            observer=observer,
        )

    def client_budget(self, client: Client) -> tuple[int, int]:
        """The cost and window (seconds) of `client`'s budget (a cost of 0: none)."""
        if client.partner is None:  # Min side itself
            return self.own_client_cost, self.window_s
        own = client.partner.rate_limit
        if own is not None:
            return own.cost, own.window_s
        return self.client_cost, self.window_s

    def budgets(self, viewer: Viewer | None, address: str) -> tuple[Budget, ...]:
        """The budgets a request by `viewer` (None: anonymous) from `address` counts against."""
        window = self.window_s
        if viewer is None:
            digest = hmac.new(self._address_key, address.encode(), hashlib.sha256).digest()
            key = base64.urlsafe_b64encode(digest[:18]).decode()
            return _limited(Budget("anonymous", key, self.anonymous_cost, window))
        client_cost, client_window = self.client_budget(viewer.client)
        return _limited(
            Budget("viewer", self.secret.viewer_key(viewer.pid), self.viewer_cost, window),
            Budget("client", viewer.client.client_id, client_cost, client_window),
        )

    async def charge(self, budgets: Sequence[Budget], cost: int) -> Decision | None:
        """Charges `cost` to `budgets` (0: only looks); None when the store cannot tell (the
        request then passes unchecked)."""
        if not budgets:
            return Decision(())
        try:
            allowed, states = await self.store.charge(budgets, cost)
        except RateStoreUnavailable:
            if self.observer is not None:
                self.observer.on_rate_limit_unchecked()
            return None
        if allowed:
            return Decision(tuple(states), cost=cost)
        over = [s for s in states if s.used + cost > s.budget.limit]
        refused = max(over, key=lambda s: s.reset_s)
        if self.observer is not None:
            self.observer.on_rate_limited(refused.budget.scope)
        return Decision(tuple(states), refused, cost)


def _limited(*budgets: Budget) -> tuple[Budget, ...]:
    return tuple(b for b in budgets if b.limit > 0)


class RequestCharge:
    """One request's budgets and the decision of its charge (in the ASGI scope)."""

    def __init__(self, limiter: RateLimiter, budgets: tuple[Budget, ...]) -> None:
        self.limiter = limiter
        self.budgets = budgets
        self.charged = False
        self.decision: Decision | None = None

    @staticmethod
    def of(scope: Scope) -> RequestCharge | None:
        charge = scope.get(SCOPE_KEY)
        return charge if isinstance(charge, RequestCharge) else None

    async def charge(self, cost: int) -> Decision | None:
        self.charged = True
        self.decision = await self.limiter.charge(self.budgets, cost)
        return self.decision


class RateLimitGate:
    """ASGI wrapper (after the viewer is known): puts the request's :class:`RequestCharge` in
    the scope for :class:`ChargeCosts`, and adds the RateLimit headers to the response (429
    and ``Retry-After`` when the charge was refused). A request that was not charged (a
    request error, nothing executed) is told its budgets as they are; a 5xx is not.
    """

    def __init__(self, app: ASGIApp, limiter: RateLimiter) -> None:
        self.app = app
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        address = str(client[0]) if client else "unknown"
        budgets = self.limiter.budgets(viewer_of(scope), address)
        if not budgets:
            await self.app(scope, receive, send)
            return
        charge = RequestCharge(self.limiter, budgets)
        scope[SCOPE_KEY] = charge

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                decision = charge.decision
                if not charge.charged and message["status"] < 500:
                    decision = await charge.charge(0)
                if decision is not None:
                    headers = MutableHeaders(scope=message)
                    for name, value in decision.headers():
                        headers[name] = value
                    if decision.refused is not None:
                        message["status"] = 429
                        record = current_operation.get()
                        if record is not None:  # for /metrics (gateway.observe)
                            record.outcome = "rate_limited"
            await send(message)

        await self.app(scope, receive, with_headers)


class ChargeCosts(LimitCosts):
    """:class:`~schema.cost.LimitCosts`, then the operation's cost charged to the request's
    budgets before it executes; refused (nothing executes) with ``RATE_LIMITED``."""

    # Async (the store is awaited): strawberry runs an async generator hook as well.
    async def on_execute(self) -> AsyncIterator[None]:  # type: ignore[override]
        self.check()
        execution = self.execution_context
        context = execution.context
        if execution.result is None and self.found is not None and isinstance(context, Context):
            charge = RequestCharge.of(context.request.scope)
            if charge is not None:
                decision = await charge.charge(self.found.cost)
                if decision is not None and decision.refused is not None:
                    execution.result = GraphQLExecutionResult(data=None, errors=[decision.error()])
        yield
