"""Back-off and the retry/reject classification of delivery failures."""

from __future__ import annotations

import random

import pytest

from connectors.errors import (
    CircuitOpen,
    MalformedResponse,
    NotFound,
    Rejected,
    RemoteFault,
    SystemTimeout,
    SystemUnavailable,
)
from connectors.fees.errors import IdempotencyConflict
from connectors.soap import SoapFault
from delivery.handlers import PermanentDeliveryError
from delivery.policy import BackoffPolicy, classify


def test_backoff_grows_with_jitter_and_is_capped():
    policy = BackoffPolicy(base_s=1.0, max_s=60.0)
    rng = random.Random(1)  # noqa: S311 - jitter, not secrecy
    for attempts, cap in [(1, 1.0), (2, 2.0), (3, 4.0), (7, 60.0), (10_000, 60.0)]:
        delays = [policy.delay_s(attempts, rng) for _ in range(50)]
        assert all(cap / 2 <= delay <= cap for delay in delays)
        assert len(set(delays)) > 1  # jittered, not lock-step


def test_backoff_rejects_nonsense():
    with pytest.raises(ValueError):
        BackoffPolicy(base_s=0)
    with pytest.raises(ValueError):
        BackoffPolicy(base_s=10, max_s=1)


@pytest.mark.parametrize(
    "error",
    [
        SystemUnavailable("down", system="fees", operation="submitReading"),
        SystemTimeout("slow", system="fees", operation="submitReading"),
        CircuitOpen("open", system="p360", operation="CreateCase"),
        RemoteFault("HTTP 500", system="fees", operation="submitReading", code="500"),
        MalformedResponse("garbage", system="p360", operation="CreateDocument"),
    ],
)
def test_transient_and_unclear_failures_are_retried(error):
    verdict = classify(error)
    assert verdict.action == "retry"
    assert type(error).__name__ in verdict.reason


@pytest.mark.parametrize(
    ("error", "prefix"),
    [
        (
            Rejected("below", system="fees", operation="submitReading", code="below_last_reading"),
            "below_last_reading: below",
        ),
        (
            IdempotencyConflict("used", operation="submitReading", code="idempotency_conflict"),
            "idempotency_conflict: used",
        ),
        (NotFound("no case", system="p360", operation="CreateDocument"), "not_found: no case"),
        (PermanentDeliveryError("invalid_payload", "bad"), "invalid_payload: bad"),
    ],
)
def test_verdicts_of_the_back_office_are_rejections(error, prefix):
    verdict = classify(error)
    assert verdict.action == "reject"
    assert verdict.reason == prefix


def test_a_bug_is_retried_without_its_message():
    verdict = classify(KeyError("13818097953"))
    assert verdict.action == "retry"
    assert verdict.reason == "internal_error: KeyError"


@pytest.mark.parametrize(
    "fault_code", ["s:Client", "S:Client", "soap:Client.Validation", "Client", "env:Sender"]
)
def test_a_soap_client_fault_is_permanent(fault_code):
    # 360 refusing a file over its size limit answers a Client fault: the same request gets
    # the same fault however often it is sent, so the record ends REJECTED with the reason.
    fault = SoapFault(
        "SOAP fault",
        system="p360",
        operation="CreateDocument",
        code=fault_code,
        fault_code=fault_code,
        fault_string="File too large",
    )
    verdict = classify(fault)
    assert verdict.action == "reject"
    assert verdict.reason.startswith("client_fault: ")
    assert "CreateDocument" in verdict.reason


@pytest.mark.parametrize("fault_code", ["s:Server", "Server", None, "a:InternalServiceFault"])
def test_a_soap_server_fault_is_retried(fault_code):
    fault = SoapFault(
        "SOAP fault", system="p360", operation="CreateDocument", fault_code=fault_code
    )
    assert classify(fault).action == "retry"


def test_http_413_is_permanent():
    too_large = RemoteFault("HTTP 413", system="p360", operation="CreateDocument", code="http_413")
    assert classify(too_large).action == "reject"
