"""Configuration: production refuses weak settings; the environment picks the config."""

import pytest

from app import create_app
from app.config import (
    DEFAULTS,
    RATE_LIMITS,
    ConfigurationError,
    DevelopmentConfig,
    ProductionConfig,
    TestingConfig,
    config_for,
    database_url_for_tests,
)

STRONG = "s" * 32


def test_production_starts_with_strong_secrets(production_env):
    app = create_app("production")

    assert app.config["JWT_COOKIE_SECURE"] is True
    assert app.config["JWT_REFRESH_COOKIE_NAME"] == "__Secure-refresh_token"
    assert app.config["JSON_LOGS"] is True


@pytest.mark.parametrize("name", ["SECRET_KEY", "JWT_SECRET_KEY", "DATABASE_URL"])
def test_production_refuses_to_start_without(production_env, name):
    production_env.delenv(name)

    with pytest.raises(ConfigurationError, match=f"{name} must be set"):
        create_app("production")


@pytest.mark.parametrize("name", ["SECRET_KEY", "JWT_SECRET_KEY"])
def test_production_refuses_short_secret(production_env, name):
    production_env.setenv(name, "x" * 31)

    with pytest.raises(ConfigurationError, match=f"{name} must be at least 32 bytes"):
        create_app("production")


def test_flask_env_selects_the_config(monkeypatch):
    monkeypatch.setenv("FLASK_ENV", "testing")

    assert isinstance(config_for(), TestingConfig)


def test_unknown_flask_env_is_refused(monkeypatch):
    monkeypatch.setenv("FLASK_ENV", "staging")

    with pytest.raises(ConfigurationError, match="FLASK_ENV must be one of"):
        config_for()


def test_development_defaults_match_the_documentation(monkeypatch):
    for name in ("SECRET_KEY", "JWT_SECRET_KEY", "DATABASE_URL", "CORS_ORIGINS"):
        monkeypatch.delenv(name, raising=False)

    config = DevelopmentConfig()

    assert DEFAULTS["database-url"] == config.SQLALCHEMY_DATABASE_URI
    assert config.CORS_ORIGINS == ["http://localhost:3000"]
    assert config.JWT_SECRET_KEY == config.SECRET_KEY
    assert config.PASSWORD_HASH_METHOD == "pbkdf2:sha256:600000"
    assert config.RATELIMIT_DEFAULT == "200 per day;50 per hour"


def test_jwt_secret_falls_back_to_secret_key(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", STRONG)
    monkeypatch.delenv("JWT_SECRET_KEY", raising=False)

    assert ProductionConfig().JWT_SECRET_KEY == STRONG


@pytest.mark.parametrize("origins", ["*", "null", "https://*.example.com"])
def test_wildcard_cors_origins_are_refused(app_env, origins):
    app_env.setenv("CORS_ORIGINS", origins)

    with pytest.raises(ConfigurationError, match="CORS_ORIGINS"):
        create_app("development")


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("PASSWORD_HASH_ITERATIONS", "abc", "must be an integer"),
        ("PASSWORD_HASH_ITERATIONS", "0", "must be positive"),
        ("TRUSTED_PROXY_HOPS", "-1", "0 or more"),
    ],
)
def test_bad_numbers_are_refused(app_env, name, value, message):
    app_env.setenv(name, value)

    with pytest.raises(ConfigurationError, match=message):
        create_app("development")


def test_limits_can_be_switched_off_from_the_environment(monkeypatch):
    monkeypatch.setenv("RATELIMIT_ENABLED", "false")

    assert DevelopmentConfig().RATELIMIT_ENABLED is False


def test_trusted_proxy_hops_uses_forwarded_client_address(app_env):
    app_env.setenv("TRUSTED_PROXY_HOPS", "1")
    app = create_app("development")

    @app.get("/whoami")
    def whoami():
        from flask import request

        return {"ip": request.remote_addr}

    response = app.test_client().get("/whoami", headers={"X-Forwarded-For": "203.0.113.9"})

    assert response.json == {"ip": "203.0.113.9"}


def test_tests_run_on_a_database_of_their_own(monkeypatch):
    monkeypatch.delenv("TEST_DATABASE_URL", raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://api:pw@db.example.com:5432/shop")

    assert database_url_for_tests() == "postgresql+psycopg://api:pw@db.example.com:5432/shop_test"


def test_test_database_url_wins(monkeypatch):
    monkeypatch.setenv("TEST_DATABASE_URL", "sqlite://")

    assert TestingConfig().SQLALCHEMY_DATABASE_URI == "sqlite://"


def test_each_limit_is_set_by_its_own_variable(monkeypatch):
    monkeypatch.setenv("RATELIMIT_LOGIN", "3 per minute")

    assert DevelopmentConfig().RATE_LIMITS["login"] == "3 per minute"
    assert DevelopmentConfig().RATE_LIMITS["register"] == RATE_LIMITS["register"]
