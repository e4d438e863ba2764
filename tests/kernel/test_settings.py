import pytest
from pydantic import AnyHttpUrl, SecretStr

from kernel.settings import Settings, SettingsError, load_settings


def test_defaults_are_the_local_stack():
    settings = load_settings()
    assert settings.port == 8000
    assert str(settings.idporten_issuer) == "http://127.0.0.1:8100/"
    assert settings.system("matrikkel").sim_port == 8101
    assert settings.system("visma").sim_port == 8104


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


def test_store_urls_are_secrets(monkeypatch):
    # Both may carry a password: they print masked, and only get_secret_value() reveals them.
    redis_url = "redis://:hunter2-redis@cache.example:6379/0"
    database_url = "postgresql://minside:hunter2-db@db.example:5432/minside"
    monkeypatch.setenv("MINSIDE_REDIS_URL", redis_url)
    monkeypatch.setenv("MINSIDE_DATABASE_URL", database_url)
    settings = load_settings()
    assert isinstance(settings.redis_url, SecretStr)
    assert isinstance(settings.database_url, SecretStr)
    for text in (repr(settings), str(settings), settings.model_dump_json()):
        assert "hunter2" not in text
    assert settings.redis_url.get_secret_value() == redis_url
    assert settings.database_url.get_secret_value() == database_url


def test_store_urls_unset_are_none():
    settings = load_settings()
    assert settings.redis_url is None and settings.database_url is None


def test_settings_are_frozen():
    settings = Settings()
    with pytest.raises(Exception, match="frozen"):
        settings.port = 1  # type: ignore[misc]


def test_every_registered_system_has_its_settings(monkeypatch):
    from kernel.systems import SYSTEMS

    monkeypatch.setenv("MINSIDE_FEES_DEADLINE_S", "7.5")
    monkeypatch.setenv("MINSIDE_MATRIKKEL_BATCH_SIZE", "250")
    monkeypatch.setenv("MINSIDE_VISMA_PASSWORD", "from-the-environment")
    settings = load_settings()
    for system in SYSTEMS:
        mine = settings.system(system.name)
        assert mine.system is system
        assert mine.url == str(AnyHttpUrl(system.local_url(system.port)))
        assert mine.sim_port == system.port
        assert (mine.batch_size is None) == (system.batch_size is None)
    assert settings.system("fees").deadline_s == 7.5
    assert settings.system("p360").deadline_s == 5.0
    assert settings.system("matrikkel").batch_size == 250
    assert settings.system("visma").password.get_secret_value() == "from-the-environment"
    assert "from-the-environment" not in repr(settings.system("visma"))


def test_a_bad_system_variable_is_named():
    with pytest.raises(SettingsError, match="MINSIDE_P360_DEADLINE_S"):
        load_settings(p360_deadline_s=0)


def test_with_system_validates_and_refuses_unknown_names():
    settings = load_settings()
    moved = settings.with_system("fees", url="http://127.0.0.1:9/", sim_port=9)
    assert moved.system("fees").url == "http://127.0.0.1:9/"
    assert moved.system("fees").sim_port == 9
    assert settings.system("fees").sim_port == 8102  # the original is unchanged
    with pytest.raises(TypeError, match="not a system setting"):
        settings.with_system("fees", colour="blue")
    with pytest.raises(KeyError):
        settings.with_system("nonesuch", url="http://127.0.0.1:9/")
