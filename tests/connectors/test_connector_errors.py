"""Tests for the connector exception tree in connectors.errors."""

from __future__ import annotations

from connectors.errors import (
    ConnectorError,
    Rejected,
    RemoteFault,
    SystemUnavailable,
)


class MatrikkelError(ConnectorError):
    system = "matrikkel"


class MatrikkelUnavailable(MatrikkelError, SystemUnavailable):
    pass


def test_message_names_system_and_operation() -> None:
    err = SystemUnavailable("HTTP 503", system="visma", operation="GetInvoices")
    assert str(err) == "visma.GetInvoices: HTTP 503"
    assert err.system == "visma"
    assert err.operation == "GetInvoices"


def test_defaults_are_unknown_and_empty_message_is_allowed() -> None:
    err = ConnectorError()
    assert (err.system, err.operation) == ("unknown", "unknown")
    assert str(err) == "unknown.unknown"


def test_remote_fault_carries_its_code() -> None:
    err = Rejected(
        "reading lower than previous",
        system="fees",
        operation="PostReading",
        code="READING_DECREASED",
    )
    assert isinstance(err, RemoteFault)
    assert err.code == "READING_DECREASED"
    assert str(err) == "fees.PostReading: reading lower than previous [code=READING_DECREASED]"
    assert "READING_DECREASED" in repr(err)
    assert RemoteFault("x").code is None


def test_connector_subclass_can_fix_the_system_and_mix_in_the_shared_kind() -> None:
    err = MatrikkelUnavailable("outage", operation="findEideMatrikkelenheterForPerson")
    assert isinstance(err, SystemUnavailable)
    assert isinstance(err, MatrikkelError)
    assert err.system == "matrikkel"
    assert str(err) == "matrikkel.findEideMatrikkelenheterForPerson: outage"
