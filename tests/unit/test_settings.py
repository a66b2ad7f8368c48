from __future__ import annotations

import stat

import pytest

from gql_server.settings import (
    LOCAL_SECRET_FILE,
    PUBLISHED_JWT_SECRETS,
    Settings,
    SettingsError,
    load_settings,
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)  # a secret made for a missing JWT_SECRET lands here
    for name in ("APP_ENV", "JWT_SECRET", "DATABASE_URL", "DB_POOL_SIZE"):
        monkeypatch.delenv(name, raising=False)


def test_development_defaults_to_an_sqlite_file(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings(env_file=None)
    assert settings.database_url == f"sqlite://{tmp_path / 'gql_server.sqlite3'}"
    assert settings.is_development


@pytest.mark.parametrize(
    "secret", [None, "short-secret", "development-only-secret-change-me-0123456789abcdef"]
)
def test_production_refuses_a_missing_or_weak_jwt_secret(monkeypatch, secret) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    if secret:
        monkeypatch.setenv("JWT_SECRET", secret)
    with pytest.raises(SettingsError, match="JWT_SECRET"):
        load_settings(env_file=None)


def test_production_starts_with_a_strong_secret(monkeypatch) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("JWT_SECRET", "k" * 48)
    assert load_settings(env_file=None).is_production


def test_settings_come_from_a_dotenv_file(tmp_path) -> None:
    env = tmp_path / ".env"
    env.write_text("DATABASE_URL=postgres://u@db:5432/cash\nDB_POOL_SIZE=7\n")
    settings = load_settings(env_file=env)
    assert (settings.database_url, settings.db_pool_size) == ("postgres://u@db:5432/cash", 7)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("APP_ENV", "staging", "APP_ENV"),
        ("DB_POOL_SIZE", "many", "wrong type"),
        ("DATABASE_URL", "mysql://x", "DATABASE_URL"),
        ("DB_POOL_SIZE", "0", "DB_POOL_SIZE"),
        ("SMTP_URL", "mail.example.in:587", "SMTP_URL"),
        ("SMTP_URL", "smtp://", "SMTP_URL"),
        ("SMTP_URL", "smtp://mail.example.in:port", "SMTP_URL"),
        ("PASSWORD_RESET_URL", "https://app.gigcash.in/reset", "PASSWORD_RESET_URL"),
        ("PASSWORD_RESET_URL", "javascript:alert(1)//{token}", "PASSWORD_RESET_URL"),
        ("PASSWORD_RESET_TTL_MINUTES", "0", "PASSWORD_RESET_TTL_MINUTES"),
    ],
)
def test_malformed_settings_name_the_problem(monkeypatch, name, value, message) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=message):
        load_settings(env_file=None)


def test_without_a_secret_development_makes_a_private_random_one_and_keeps_it(tmp_path) -> None:
    first = load_settings(env_file=None)
    again = load_settings(env_file=None)
    stored = tmp_path / LOCAL_SECRET_FILE

    assert first.jwt_secret == again.jwt_secret == stored.read_text().strip()
    assert len(first.jwt_secret) >= 48
    assert first.jwt_secret not in PUBLISHED_JWT_SECRETS
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600


def test_settings_built_in_code_never_share_a_secret() -> None:
    assert Settings().jwt_secret != Settings().jwt_secret


@pytest.mark.parametrize("env", ["development", "test", "production"])
def test_a_published_secret_is_refused_in_every_environment(monkeypatch, env) -> None:
    monkeypatch.setenv("APP_ENV", env)
    monkeypatch.setenv("JWT_SECRET", next(iter(PUBLISHED_JWT_SECRETS)))
    with pytest.raises(SettingsError, match="published"):
        load_settings(env_file=None)


def test_production_mails_https_links_only(monkeypatch) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("JWT_SECRET", "k" * 48)
    monkeypatch.setenv("PASSWORD_RESET_URL", "http://app.gigcash.in/reset?token={token}")
    with pytest.raises(SettingsError, match="https"):
        load_settings(env_file=None)
    monkeypatch.setenv("PASSWORD_RESET_URL", "https://app.gigcash.in/reset?token={token}")
    monkeypatch.setenv("SMTP_URL", "smtps://mailer:s%40cret@mail.example.in")
    settings = load_settings(env_file=None)
    assert settings.password_reset_url.startswith("https://")
