"""Synthetic test persons and the local-stack spec."""

from __future__ import annotations

from idporten_standin import builtin_persons, default_persons, standin_spec
from idporten_standin.persons import is_valid_pid, synthetic_pid, with_check_digits
from kernel.settings import load_settings


def test_builtin_persons_are_tenor_style_with_valid_check_digits() -> None:
    persons = builtin_persons()
    assert len(persons) >= 3
    for person in persons:
        assert is_valid_pid(person.pid)
        assert int(person.pid[2:4]) > 80  # Tenor: month + 80, never a real person's number


def test_check_digits() -> None:
    assert is_valid_pid(synthetic_pid(14, 3, 1978, 101))
    assert not is_valid_pid("14837810142")
    assert not is_valid_pid("1483781014")
    assert with_check_digits("148378101") == "14837810141"


def test_default_persons_are_valid() -> None:
    persons = default_persons()
    assert persons and all(is_valid_pid(person.pid) and person.name for person in persons)


def test_standin_spec_registers_the_gateway() -> None:
    settings = load_settings(idporten_standin_port=8199)
    spec = standin_spec(settings)
    assert (spec.host, spec.port) == ("127.0.0.1", 8199)
    config = spec.app.state.standin.config
    assert config.issuer == "http://127.0.0.1:8199"
    client = config.client("minside-gateway")
    assert client.client_secret == "minside-dev-secret"
    assert client.redirect_uris == ("http://127.0.0.1:8000/auth/callback",)
    assert client.post_logout_redirect_uris == ("http://127.0.0.1:8000/",)
    assert client.frontchannel_logout_uri == "http://127.0.0.1:8000/auth/frontchannel-logout"
    assert set(client.scopes) == {"openid", "profile", "minside:api"}
