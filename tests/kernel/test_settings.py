import pytest
from pydantic import SecretStr

from kernel.settings import Settings, SettingsError, load_settings


def test_defaults_are_the_local_stack():
    settings = load_settings()
    assert settings.port == 8000
    assert str(settings.idporten_issuer) == "http://127.0.0.1:8100/"
    assert settings.matrikkel_sim_port == 8101
    assert settings.visma_sim_port == 8104


def test_environment_overrides(monkeypatch):
    monkeypatch.setenv("MINSIDE_PORT", "9000")
    monkeypatch.setenv("MINSIDE_P360_URL", "https://p360.example.invalid/SI.WS.Core/SIF")
    settings = load_settings()
    assert settings.port == 9000
    assert settings.p360_url.host == "p360.example.invalid"


def test_dotenv_file_is_read(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text("MINSIDE_LOG_LEVEL=DEBUG\n")
    assert load_settings().log_level == "DEBUG"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("MINSIDE_PORT", "not-a-port"),
        ("MINSIDE_PORT", "70000"),
        ("MINSIDE_MATRIKKEL_URL", "not a url"),
        ("MINSIDE_LOG_LEVEL", "CHATTY"),
    ],
)
def test_malformed_value_names_the_variable(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert name in str(caught.value)


def test_secrets_never_print(monkeypatch):
    monkeypatch.setenv("MINSIDE_VISMA_PASSWORD", "hunter2-very-secret")
    settings = load_settings()
    assert isinstance(settings.visma_password, SecretStr)
    assert "hunter2-very-secret" not in repr(settings)
    assert "hunter2-very-secret" not in str(settings)
    assert settings.visma_password.get_secret_value() == "hunter2-very-secret"


def test_settings_are_frozen():
    settings = Settings()
    with pytest.raises(Exception, match="frozen"):
        settings.port = 1  # type: ignore[misc]
