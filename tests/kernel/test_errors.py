"""The error envelope answered outside GraphQL keeps its exact bytes (clients parse it)."""

from __future__ import annotations

from starlette.responses import JSONResponse

from kernel.errors import ErrorCode, SubmissionErrorCode, error_envelope


def test_envelope_bytes() -> None:
    body = JSONResponse(error_envelope(ErrorCode.PAYLOAD_TOO_LARGE, "request larger than 5 bytes"))
    assert body.body == (
        b'{"errors":[{"message":"request larger than 5 bytes",'
        b'"extensions":{"code":"PAYLOAD_TOO_LARGE"}}]}'
    )


def test_envelope_with_null_data_puts_data_first() -> None:
    body = JSONResponse(error_envelope(ErrorCode.CSRF_REFUSED, "no", null_data=True))
    assert body.body == (
        b'{"data":null,"errors":[{"message":"no","extensions":{"code":"CSRF_REFUSED"}}]}'
    )


def test_codes_are_their_own_names() -> None:
    # A client branches on the string: renaming a member must not silently change it.
    for enum in (ErrorCode, SubmissionErrorCode):
        assert all(member.value == member.name for member in enum)
