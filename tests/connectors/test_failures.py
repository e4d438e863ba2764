"""The one mapping of HTTP statuses and transport failures to connector errors."""

from __future__ import annotations

from typing import TypedDict

import aiohttp
import pytest

from connectors.errors import (
    ConnectorError,
    NotFound,
    Rejected,
    RemoteFault,
    SystemTimeout,
    SystemUnavailable,
)
from connectors.failures import HTTP_STATUSES, SOAP_STATUSES, status_error, transport_error


class Where(TypedDict):
    system: str
    operation: str


WHERE = Where(system="fees", operation="queryProperties")


@pytest.mark.parametrize("status", [502, 503, 504])
def test_gateway_statuses_mean_unavailable_in_both_families(status: int) -> None:
    for statuses in (HTTP_STATUSES, SOAP_STATUSES):
        err = status_error(status, **WHERE, statuses=statuses)
        assert type(err) is SystemUnavailable
        assert str(err) == f"fees.queryProperties: HTTP {status}"


def test_credentials_refused_is_unauthorized_in_both_families() -> None:
    for err in (status_error(401, **WHERE), status_error(401, **WHERE, statuses=SOAP_STATUSES)):
        assert type(err) is RemoteFault
        assert err.code == "unauthorized"


def test_http_reads_403_and_404_but_soap_does_not() -> None:
    forbidden = status_error(403, **WHERE)
    assert isinstance(forbidden, RemoteFault) and forbidden.code == "forbidden"
    assert type(status_error(404, **WHERE)) is NotFound
    # A SOAP 404 is a wrong endpoint, not a missing object: a plain remote fault.
    for status in (403, 404):
        soap = status_error(status, **WHERE, statuses=SOAP_STATUSES)
        assert type(soap) is RemoteFault
        assert soap.code == f"http_{status}"


def test_other_statuses_carry_the_remote_code_or_the_status() -> None:
    coded = status_error(409, **WHERE, code="conflict")
    assert type(coded) is RemoteFault
    assert (coded.code, coded.message) == ("conflict", "HTTP 409 (conflict)")
    bare = status_error(500, **WHERE)
    assert isinstance(bare, RemoteFault)
    assert (bare.code, bare.message) == ("http_500", "HTTP 500")


def test_an_operation_gives_statuses_its_own_fault_type() -> None:
    class Conflict(RemoteFault):
        pass

    overrides = {409: Conflict, 422: Rejected, 503: Rejected}
    conflict = status_error(409, **WHERE, code="key_reused", overrides=overrides)
    assert type(conflict) is Conflict and conflict.code == "key_reused"
    rejected = status_error(422, **WHERE, overrides=overrides)
    assert type(rejected) is Rejected and rejected.code == "http_422"
    # Overrides win over the family's reading; statuses they do not name keep it.
    assert type(status_error(503, **WHERE, overrides=overrides)) is Rejected
    assert type(status_error(404, **WHERE, overrides=overrides)) is NotFound


def test_transport_failures_name_only_the_exception_class() -> None:
    timeout = transport_error(aiohttp.ServerTimeoutError("http://x/01017012345"), **WHERE)
    assert type(timeout) is SystemTimeout
    assert str(timeout) == "fees.queryProperties: timed out (ServerTimeoutError)"
    refused = transport_error(ConnectionRefusedError("http://x/01017012345"), **WHERE)
    assert type(refused) is SystemUnavailable
    assert "01017012345" not in str(refused)
    assert isinstance(refused, ConnectorError)
