"""What `minside demo` makes of the configuration: development mode unless MINSIDE_MODE says
otherwise, the stand-in unless MINSIDE_IDPORTEN_ISSUER names another provider."""

from __future__ import annotations

import pytest

from kernel.settings import Settings, SettingsError
from minside.stack import demo_settings, external_issuer, running_stack


def test_the_demo_runs_in_development_mode_unless_told_otherwise(monkeypatch):
    monkeypatch.delenv("MINSIDE_MODE")  # as a newcomer runs it: no MINSIDE_* at all
    settings = Settings()
    assert settings.mode == "production"
    assert demo_settings(settings).mode == "development"
    monkeypatch.setenv("MINSIDE_MODE", "production")
    assert demo_settings(Settings()).mode == "production"


def test_the_stand_in_is_the_issuer_unless_another_one_is_given():
    assert str(demo_settings(Settings()).idporten_issuer) == "http://127.0.0.1:8100/"
    same = Settings(idporten_issuer="http://127.0.0.1:8100")  # the stand-in's own URL
    assert external_issuer(same) is None
    given = Settings(idporten_issuer="https://test.idporten.no")
    assert external_issuer(given) == "https://test.idporten.no"
    assert str(demo_settings(given).idporten_issuer) == "https://test.idporten.no/"


@pytest.mark.parametrize(
    ("override", "variable"),
    [
        ({"idporten_client_id": "registered-elsewhere"}, "MINSIDE_IDPORTEN_CLIENT_ID"),
        ({"idporten_client_secret": "another"}, "MINSIDE_IDPORTEN_CLIENT_SECRET"),
    ],
)
def test_client_settings_only_another_provider_knows_are_refused(override, variable):
    with pytest.raises(SettingsError, match=variable):
        demo_settings(Settings(**override))
    # With the provider that registered that client, they are its to check.
    demo_settings(Settings(idporten_issuer="https://test.idporten.no", **override))


@pytest.mark.integration  # servers on loopback, in a file of unit tests
async def test_the_in_process_stack_runs_in_development_mode_unless_told_otherwise(monkeypatch):
    monkeypatch.delenv("MINSIDE_MODE")  # the benchmark's in-process stacks, run as is
    async with running_stack(Settings(population_size=10)) as stack:
        assert stack.settings.mode == "development"
