"""The discovery document's endpoints must be the issuer's: its scheme and port, its host or a
subdomain of it (ID-porten logs in on login.idporten.no), http only for an http issuer."""

from __future__ import annotations

from typing import Any

import pytest

from auth.discovery import IssuerMetadata
from auth.errors import IssuerUnavailable

# ID-porten's production document (the fields the gateway reads).
IDPORTEN = {
    "issuer": "https://idporten.no",
    "authorization_endpoint": "https://login.idporten.no/authorize",
    "token_endpoint": "https://idporten.no/token",
    "jwks_uri": "https://idporten.no/jwks.json",
    "end_session_endpoint": "https://login.idporten.no/logout",
}
TEST_IDPORTEN = {
    "issuer": "https://test.idporten.no",
    "authorization_endpoint": "https://login.test.idporten.no/authorize",
    "token_endpoint": "https://test.idporten.no/token",
    "jwks_uri": "https://test.idporten.no/jwks.json",
    "end_session_endpoint": "https://login.test.idporten.no/logout",
}
STANDIN = {
    "issuer": "http://127.0.0.1:8100",
    "authorization_endpoint": "http://127.0.0.1:8100/authorize",
    "token_endpoint": "http://127.0.0.1:8100/token",
    "jwks_uri": "http://127.0.0.1:8100/jwks",
    "end_session_endpoint": "http://127.0.0.1:8100/logout",
}


@pytest.mark.parametrize("document", [IDPORTEN, TEST_IDPORTEN, STANDIN])
def test_the_issuers_own_documents_pass(document: dict[str, Any]) -> None:
    metadata = IssuerMetadata.from_document(document, document["issuer"] + "/")
    assert metadata.jwks_uri == document["jwks_uri"]
    assert metadata.end_session_endpoint == document["end_session_endpoint"]


@pytest.mark.parametrize(
    ("base", "field", "url"),
    [
        (IDPORTEN, "jwks_uri", "https://attacker.example/jwks.json"),
        (IDPORTEN, "jwks_uri", "https://idporten.no.attacker.example/jwks.json"),
        (IDPORTEN, "jwks_uri", "https://evilidporten.no/jwks.json"),
        (IDPORTEN, "jwks_uri", "http://idporten.no/jwks.json"),
        (IDPORTEN, "jwks_uri", "https://idporten.no:8443/jwks.json"),
        (IDPORTEN, "jwks_uri", "https://user@attacker.example@idporten.no/jwks.json"),
        (IDPORTEN, "token_endpoint", "https://no/token"),
        (IDPORTEN, "authorization_endpoint", "javascript:alert(1)"),
        (IDPORTEN, "end_session_endpoint", "https://attacker.example/logout"),
        (TEST_IDPORTEN, "jwks_uri", "https://idporten.no/jwks.json"),  # the parent: not ours
        (STANDIN, "jwks_uri", "http://127.0.0.1:9999/jwks"),
        (STANDIN, "token_endpoint", "http://127.0.0.2:8100/token"),
    ],
)
def test_an_endpoint_elsewhere_is_refused(base: dict[str, Any], field: str, url: str) -> None:
    with pytest.raises(IssuerUnavailable, match=field):
        IssuerMetadata.from_document({**base, field: url}, base["issuer"])
