"""Unit-level checks of the auth building blocks (no network)."""

from __future__ import annotations

import asyncio
import base64
import json

import pytest
from joserfc.jwk import RSAKey
from starlette.requests import Request

from auth import csrf
from auth.acr import Acr
from auth.bff import safe_return_to
from auth.errors import InvalidToken, IssuerUnavailable
from auth.jwks import JwksCache
from auth.jws import unverified_header
from auth.sessions import InMemorySessionStore, PendingLogin, SessionData
from auth.viewer import AuthMethod, Viewer
from tests.clocks import FakeClock

PID = "01817700369"  # synthetic (Tenor-style: month + 80)


def test_acr_order_and_aliases() -> None:
    assert Acr.parse("Level3") is Acr.SUBSTANTIAL
    assert Acr.parse("Level4") is Acr.HIGH
    assert Acr.parse("idporten-loa-low") is None
    assert Acr.parse(4) is None
    assert Acr.HIGH.satisfies(Acr.SUBSTANTIAL)
    assert not Acr.SUBSTANTIAL.satisfies(Acr.HIGH)


def test_viewer_repr_hides_pid() -> None:
    viewer = Viewer(pid=PID, sub="abc", acr=Acr.HIGH, method=AuthMethod.BEARER)
    assert PID not in repr(viewer) and PID not in str(viewer)
    data = SessionData(pid=PID, sub="abc", acr=Acr.HIGH, sid="s", id_token="tok.en.x")
    assert PID not in repr(data) and "tok.en.x" not in repr(data)


def _session(sid: str | None = "sid-1") -> SessionData:
    return SessionData(pid=PID, sub="sub", acr=Acr.SUBSTANTIAL, sid=sid, id_token="x.y.z")


async def test_session_idle_expiry_is_sliding() -> None:
    clock = FakeClock()
    store = InMemorySessionStore(idle_timeout_s=1800, max_lifetime_s=8 * 3600, clock=clock)
    session_id = await store.create(_session())
    clock.now += 1700
    assert await store.get(session_id) is not None  # use slides the idle window
    clock.now += 1700
    assert await store.get(session_id) is not None
    clock.now += 1800
    assert await store.get(session_id) is None
    assert len(store) == 0


async def test_session_absolute_lifetime() -> None:
    clock = FakeClock()
    store = InMemorySessionStore(idle_timeout_s=1800, max_lifetime_s=3600, clock=clock)
    session_id = await store.create(_session())
    for _ in range(3):
        clock.now += 1000
        assert await store.get(session_id) is not None
    clock.now += 1000  # 4000 s after login, although used 1000 s ago
    assert await store.get(session_id) is None


async def test_sessions_found_by_sid_and_keyed_by_hash() -> None:
    store = InMemorySessionStore()
    first = await store.create(_session("sid-a"))
    second = await store.create(_session("sid-a"))
    other = await store.create(_session("sid-b"))
    assert first != second
    assert first not in store._sessions  # only the hash is stored
    assert await store.delete_by_sid("sid-a") == 2
    assert await store.get(first) is None and await store.get(second) is None
    assert await store.get(other) is not None
    assert await store.delete(other) is not None
    assert await store.delete(other) is None


async def test_pending_login_is_one_time_and_expires() -> None:
    clock = FakeClock()
    store = InMemorySessionStore(login_ttl_s=600, clock=clock)
    pending = PendingLogin("b", "n", "v", Acr.SUBSTANTIAL, "/", clock.now)
    await store.put_login("state-1", pending)
    assert await store.take_login("state-1") == pending
    assert await store.take_login("state-1") is None
    await store.put_login("state-2", pending)
    clock.now += 601
    assert await store.take_login("state-2") is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "/"),
        ("/invoices?page=2", "/invoices?page=2"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("/a\r\nSet-Cookie: x=y", "/"),
        ("relative/path", "/"),
    ],
)
def test_return_to_is_same_site_only(value: str | None, expected: str) -> None:
    assert safe_return_to(value) == expected


def _request(method: str, headers: dict[str, str]) -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    return Request({"type": "http", "method": method, "headers": raw, "path": "/graphql"})


@pytest.mark.parametrize(
    ("method", "headers", "refused"),
    [
        ("POST", {"content-type": "application/json"}, False),
        ("POST", {"content-type": "application/json; charset=utf-8"}, False),
        ("POST", {"content-type": "application/json", "origin": "http://127.0.0.1:8000"}, False),
        ("POST", {"content-type": "application/x-www-form-urlencoded"}, True),
        ("POST", {"content-type": "multipart/form-data; boundary=x"}, True),
        ("POST", {"content-type": "text/plain"}, True),
        ("POST", {}, True),
        ("POST", {"content-type": "application/json", "origin": "https://evil.example"}, True),
        ("POST", {"content-type": "application/json", "origin": "null"}, True),
        ("POST", {"content-type": "application/json", "sec-fetch-site": "cross-site"}, True),
        ("GET", {}, False),
    ],
)
def test_graphql_csrf_rules(method: str, headers: dict[str, str], refused: bool) -> None:
    reason = csrf.graphql_refusal(_request(method, headers), "http://127.0.0.1:8000")
    assert (reason is not None) == refused


def _segment(obj: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


@pytest.mark.parametrize(
    "token",
    [
        "",
        "abc",
        "a.b",
        "a.b.c.d.e",  # JWE
        _segment({"alg": "none", "kid": "k"}) + "." + _segment({}) + ".",
        _segment({"alg": "none", "kid": "k"}) + "." + _segment({}) + ".sig",
        _segment({"alg": "HS256", "kid": "k"}) + "." + _segment({}) + ".sig",
        _segment({"alg": "RS512", "kid": "k"}) + "." + _segment({}) + ".sig",
        _segment({"alg": "RS256"}) + "." + _segment({}) + ".sig",
        _segment({"alg": "RS256", "kid": "k", "crit": ["x"]}) + "." + _segment({}) + ".sig",
        _segment(["RS256"]) + "." + _segment({}) + ".sig",
        "!!!." + _segment({}) + ".sig",
        "x" * 20000,
    ],
)
def test_unverified_header_refuses(token: str) -> None:
    with pytest.raises(InvalidToken):
        unverified_header(token)


@pytest.mark.parametrize("typ", ["JWT", "jwt", "dpop+jwt", "at+jwt; x=1", "", 1, None, ["at+jwt"]])
def test_access_token_type_refuses_other_typ_values(typ: object) -> None:
    from auth.jws import check_access_token_type

    with pytest.raises(InvalidToken):
        check_access_token_type({"alg": "RS256", "kid": "k", "typ": typ})


@pytest.mark.parametrize("header", [{}, {"typ": "at+jwt"}, {"typ": "Application/AT+JWT"}])
def test_access_token_type_accepts_absent_or_at_jwt(header: dict[str, object]) -> None:
    from auth.jws import check_access_token_type

    check_access_token_type({"alg": "RS256", "kid": "k", **header})


class JwksSource:
    """A JWKS publisher: counts fetches, can rotate in a new key or fail."""

    def __init__(self) -> None:
        self.keys = [RSAKey.generate_key(2048, auto_kid=True)]
        self.fetches = 0
        self.failing = False

    async def __call__(self) -> dict[str, object]:
        self.fetches += 1
        if self.failing:
            raise IssuerUnavailable("down")
        return {"keys": [key.as_dict(private=False) for key in self.keys]}


async def test_jwks_refresh_on_unknown_kid_is_rate_limited() -> None:
    clock = FakeClock()
    source = JwksSource()
    cache = JwksCache(source, max_age_s=86400, min_refresh_interval_s=60, clock=clock)
    first_kid = str(source.keys[0].kid)
    assert await cache.key(first_kid) is not None
    assert source.fetches == 1
    for i in range(50):  # a flood of made-up kids costs at most one refetch per interval
        assert await cache.key(f"bogus-{i}") is None
    assert source.fetches == 1  # the first fetch was just now
    clock.now += 61
    source.keys.append(RSAKey.generate_key(2048, auto_kid=True))
    new_kid = str(source.keys[1].kid)
    assert await cache.key(new_kid) is not None
    assert source.fetches == 2
    for i in range(50):
        await cache.key(f"bogus-again-{i}")
    assert source.fetches == 2
    clock.now += 86401  # the whole set expires after max_age
    assert await cache.key(first_kid) is not None
    assert source.fetches == 3


async def test_jwks_accepts_a_rotated_key_seconds_after_the_last_fetch() -> None:
    clock = FakeClock()
    source = JwksSource()
    cache = JwksCache(source, max_age_s=86400, min_refresh_interval_s=60, clock=clock)
    assert await cache.key(str(source.keys[0].kid)) is not None
    clock.advance(6)  # past the short floor, well inside the 60 s guard
    source.keys.insert(0, RSAKey.generate_key(2048, auto_kid=True))
    assert await cache.key(str(source.keys[0].kid)) is not None
    assert source.fetches == 2


async def test_jwks_remembers_unknown_kids_and_looks_again_only_for_new_ones() -> None:
    clock = FakeClock()
    source = JwksSource()
    cache = JwksCache(source, max_age_s=86400, min_refresh_interval_s=60, clock=clock)
    assert await cache.key(str(source.keys[0].kid)) is not None
    clock.advance(6)
    assert await cache.key("forged-a") is None  # new, and the last look is 6 s old: one look
    assert source.fetches == 2
    clock.advance(6)
    assert await cache.key("forged-a") is None  # the issuer said no 6 s ago: from memory
    assert source.fetches == 2
    assert await cache.key("forged-b") is None  # not seen before: it may look
    assert source.fetches == 3
    for i in range(500):  # a burst of new kids inside the floor: no look at all
        assert await cache.key(f"burst-{i}") is None
    assert source.fetches == 3
    clock.advance(6)
    for i in range(500):  # one look confirms them all, after which memory answers
        assert await cache.key(f"burst-{i}") is None
    assert source.fetches == 4
    clock.advance(6)
    for i in range(500):
        assert await cache.key(f"burst-{i}") is None
    assert await cache.key("forged-a") is None
    assert source.fetches == 4
    clock.advance(61)  # the memory lasts the guard window: then one look again
    assert await cache.key("forged-a") is None
    assert await cache.key("forged-b") is None
    assert source.fetches == 5


async def test_jwks_is_refreshed_in_the_background_before_it_expires() -> None:
    clock = FakeClock()
    source = JwksSource()
    released = asyncio.Event()
    released.set()

    async def gated_fetch() -> dict[str, object]:
        await released.wait()
        return await source()

    cache = JwksCache(gated_fetch, max_age_s=1000, min_refresh_interval_s=60, clock=clock)
    kid = str(source.keys[0].kid)
    assert await cache.key(kid) is not None
    clock.advance(500)
    assert await cache.key(kid) is not None
    await asyncio.sleep(0)
    assert source.fetches == 1  # young keys: no refresh
    upcoming = RSAKey.generate_key(2048, auto_kid=True)
    source.keys.append(upcoming)  # published ahead of use
    clock.advance(400)  # 90 % of the max age
    released.clear()
    # The request is answered from the cache at once, while the refresh waits in the background.
    assert await asyncio.wait_for(cache.key(kid), 1) is not None
    released.set()
    for _ in range(10):
        await asyncio.sleep(0)
    assert source.fetches == 2
    assert await cache.key(str(upcoming.kid)) is not None
    assert source.fetches == 2
    clock.advance(200)  # past the first set's max age, but the refresh renewed it
    assert await cache.key(kid) is not None
    assert source.fetches == 2
    cache.close()


async def test_jwks_cold_start_under_concurrency_fetches_once_and_serves_all() -> None:
    # Many requests arriving before the first JWKS fetch has answered must all wait for that
    # fetch, not be refused as "issuer unavailable" (seen under load in the benchmark).
    clock = FakeClock()
    source = JwksSource()
    released = asyncio.Event()

    async def slow_fetch() -> dict[str, object]:
        await released.wait()
        return await source()

    cache = JwksCache(slow_fetch, max_age_s=86400, min_refresh_interval_s=60, clock=clock)
    kid = str(source.keys[0].kid)
    lookups = [asyncio.create_task(cache.key(kid)) for _ in range(10)]
    await asyncio.sleep(0)
    released.set()
    keys = await asyncio.gather(*lookups)
    assert all(key is not None for key in keys)
    assert source.fetches == 1


async def test_jwks_cold_start_failure_fails_every_waiter_fast() -> None:
    source = JwksSource()
    source.failing = True
    cache = JwksCache(source, clock=FakeClock())
    results = await asyncio.gather(*(cache.key("any") for _ in range(5)), return_exceptions=True)
    assert all(isinstance(result, IssuerUnavailable) for result in results)
    assert source.fetches == 1


async def test_jwks_outage_keeps_cached_keys() -> None:
    clock = FakeClock()
    source = JwksSource()
    cache = JwksCache(source, max_age_s=100, min_refresh_interval_s=10, clock=clock)
    kid = str(source.keys[0].kid)
    assert await cache.key(kid) is not None
    source.failing = True
    clock.now += 101
    assert await cache.key(kid) is not None  # stale keys beat logging everybody out
    fresh = JwksCache(source, clock=clock)
    with pytest.raises(IssuerUnavailable):
        await fresh.key(kid)


def test_log_redaction_hides_jwts_and_pids() -> None:
    from auth.redaction import redact

    token = "eyJhbGciOiJSUzI1NiJ9.eyJwaWQiOiIwMTgxNzcwMDM2OSJ9.c2lnbmF0dXJl"
    text = redact(f"Issue token {{'access_token': '{token}'}} for {PID} on port 8000")
    assert token not in text and PID not in text
    assert "port 8000" in text


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("connect postgresql://minside:S3cr%40t@db:5432/minside failed", "minside@"),
        ("Error connecting to redis://:hunter2@redis:6379/0", "redis:6379/0"),
        ("rediss://default:hunter2@cache.example/0", "cache.example/0"),
        ("missing = in 'host=db password=hunter2 user=minside'", "user=minside"),
        ("host=db password='hun ter2' dbname=x", "dbname=x"),
    ],
)
def test_log_redaction_hides_passwords_in_urls(text: str, kept: str) -> None:
    from auth.redaction import redact

    cleaned = redact(text)
    assert "hunter2" not in cleaned and "hun ter2" not in cleaned and "S3cr" not in cleaned
    assert "[redacted]" in cleaned and kept.replace("minside@", "[redacted]@") in cleaned


def test_log_redaction_keeps_urls_without_passwords() -> None:
    from auth.redaction import redact

    for text in (
        "http://127.0.0.1:8100/token",
        "postgresql://minside@db:5432/minside",
        "https://idporten.no/jwks.json?x=a:b@c",
    ):
        assert redact(text) == text


def test_log_redaction_covers_tracebacks_and_written_forms() -> None:
    import io
    import logging

    from auth.redaction import install_log_redaction

    install_log_redaction()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger("tests.redaction")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        try:
            raise ValueError(f"Variable '$d' got invalid value {PID!r}")
        except ValueError:
            logger.exception("query failed for %s", PID[:6] + " " + PID[6:])
        logger.info("written with a hyphen: %s", PID[:6] + "-" + PID[6:], stack_info=True)
    finally:
        logger.removeHandler(handler)
    output = stream.getvalue()
    assert "ValueError" in output  # the traceback is still there...
    assert PID not in output and PID[6:] not in output  # ...without the person in it
    assert output.count("[redacted-pid]") == 3
