"""Configuration classes, read from the environment when instantiated."""

import os
import uuid
from datetime import timedelta
from typing import Any

# Chosen when the project was generated; DATABASE_URL and RATELIMIT_STORAGE_URI override them.
DEFAULT_DATABASE_URL = "{{ cookiecutter.__database_url }}"
DEFAULT_RATELIMIT_STORAGE_URI = "{{ cookiecutter.__ratelimit_storage_uri }}"
# The project's name, as people read it: the OpenAPI document's title.
PROJECT_NAME = "{{ cookiecutter.project_name | replace('\\', '\\\\') | replace('"', '\\"') }}"

MIN_SECRET_BYTES = 32
# Seconds to wait for a database or Redis connection before giving up on the request.
CONNECT_TIMEOUT = 5
# flask-cors treats an origin containing any of these as a regular expression.
REGEX_CHARS = frozenset("*\\]?$^[]()")
# Production takes its secrets from the environment and refuses to start without them.
DEV_SECRET = "dev-only-secret-replace-me-in-any-real-deployment"  # noqa: S105 - development only


class ConfigurationError(RuntimeError):
    """Raised when the environment cannot run the selected configuration."""


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigurationError(f"{name} must be an integer, got {raw!r}") from exc


def _bool_env(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def tracing_requested() -> bool:
    """Whether OTEL_* asks for traces: an OTLP endpoint or an exporter named, and no opt-out."""
    if _bool_env("OTEL_SDK_DISABLED", False):
        return False
    exporter = os.environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if exporter:
        return exporter != "none"
    endpoints = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    return any(os.environ.get(name, "").strip() for name in endpoints)


def _list_env(name: str, default: str) -> list[str]:
    raw = os.environ.get(name, default)
    return [item.strip() for item in raw.split(",") if item.strip()]


class BaseConfig:
    """Settings shared by every environment; environment variables override defaults."""

    ENV_NAME = "base"
    DEBUG = False
    TESTING = False
    JSON_LOGS = False

    API_TITLE = PROJECT_NAME
    SQLALCHEMY_TRACK_MODIFICATIONS = False

    JWT_ACCESS_TOKEN_EXPIRES = timedelta(minutes=15)
    JWT_REFRESH_TOKEN_EXPIRES = timedelta(days=30)
    JWT_ALGORITHM = "HS256"
    JWT_DECODE_ALGORITHMS = ("HS256",)
    JWT_TOKEN_LOCATION = ("headers", "cookies")
    JWT_REFRESH_COOKIE_PATH = "/auth"
    JWT_REFRESH_CSRF_COOKIE_PATH = "/auth"
    JWT_COOKIE_SAMESITE = "Strict"
    JWT_COOKIE_SECURE = True
    JWT_COOKIE_CSRF_PROTECT = True
    JWT_SESSION_COOKIE = False

    # No X-RateLimit-* headers on every answer: with Redis they cost two more round trips per
    # request. A 429 still carries Retry-After (see app/errors/handlers.py).
    RATELIMIT_HEADERS_ENABLED = False
    # If Redis goes away, keep serving with per-process counters and log a warning.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True

    def __init__(self) -> None:
        self.SECRET_KEY = os.environ.get("SECRET_KEY", "")
        self.JWT_SECRET_KEY = os.environ.get("JWT_SECRET_KEY") or self.SECRET_KEY
        self.SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
        self.CORS_ORIGINS = _list_env("CORS_ORIGINS", "http://localhost:3000")
        self.MAX_CONTENT_LENGTH = _int_env("MAX_CONTENT_LENGTH", 1024 * 1024)
        self.PASSWORD_HASH_ITERATIONS = _int_env("PASSWORD_HASH_ITERATIONS", 600_000)
        self.LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO").upper()
        self.TRUSTED_PROXY_HOPS = _int_env("TRUSTED_PROXY_HOPS", 0)
        # The listener gunicorn.conf.py adds for /metrics; empty: /metrics is served nowhere.
        self.METRICS_BIND = os.environ.get("METRICS_BIND", "").strip()
        # While this file exists /ready answers 503, so balancers take the instance out before
        # it is stopped (README "Rolling restarts"); empty: never draining.
        self.DRAIN_FILE = os.environ.get("DRAIN_FILE", "").strip()
        # Tracing and error reporting (app/core/telemetry.py): off unless configured.
        self.TRACING_ENABLED = tracing_requested()
        self.SENTRY_DSN = os.environ.get("SENTRY_DSN", "").strip()
        self.SENTRY_ENVIRONMENT = os.environ.get("SENTRY_ENVIRONMENT") or self.ENV_NAME
        self.SENTRY_RELEASE = os.environ.get("SENTRY_RELEASE") or None
        # /openapi.json and /docs: on in development and testing, off in production unless set.
        self.OPENAPI_ENABLED = _bool_env("OPENAPI_ENABLED", self.DEBUG or self.TESTING)

        # Browsers only accept a __Secure- cookie over HTTPS with the Secure flag.
        prefix = "__Secure-" if self.JWT_COOKIE_SECURE else ""
        self.JWT_REFRESH_COOKIE_NAME = f"{prefix}refresh_token"
        self.JWT_REFRESH_CSRF_COOKIE_NAME = f"{prefix}csrf_refresh_token"

        self.RATELIMIT_ENABLED = _bool_env("RATELIMIT_ENABLED", True)
        self.RATELIMIT_STORAGE_URI = (
            os.environ.get("RATELIMIT_STORAGE_URI")
            or os.environ.get("REDIS_URL")
            or DEFAULT_RATELIMIT_STORAGE_URI
        )
        self.RATELIMIT_KEY_PREFIX = "api"
        # Namespace of the counters in Redis, for services that share one Redis.
        self.REDIS_KEY_PREFIX = os.environ.get("RATELIMIT_REDIS_PREFIX", "LIMITS")
        self.RATELIMIT_DEFAULT = os.environ.get("RATELIMIT_DEFAULT", "200 per day;50 per hour")
        self.RATELIMIT_REGISTER = os.environ.get("RATELIMIT_REGISTER", "5 per hour")
        self.RATELIMIT_LOGIN = os.environ.get("RATELIMIT_LOGIN", "10 per minute")
        self.RATELIMIT_LOGIN_ACCOUNT = os.environ.get(
            "RATELIMIT_LOGIN_ACCOUNT", "10 per 15 minutes"
        )
        self.RATELIMIT_USERS = os.environ.get("RATELIMIT_USERS", "30 per minute")
        self.RATELIMIT_USERS_CREATE = os.environ.get("RATELIMIT_USERS_CREATE", "10 per minute")
        self.RATELIMIT_PASSWORD_CHANGE = os.environ.get(
            "RATELIMIT_PASSWORD_CHANGE", "5 per 15 minutes"
        )
        # Reset and verification mails: per client, and per address whoever asks.
        self.RATELIMIT_ACCOUNT_MAIL = os.environ.get("RATELIMIT_ACCOUNT_MAIL", "5 per hour")
        self.RATELIMIT_ACCOUNT_MAIL_ADDRESS = os.environ.get(
            "RATELIMIT_ACCOUNT_MAIL_ADDRESS", "3 per hour"
        )
        self.RATELIMIT_ACCOUNT_CONFIRM = os.environ.get("RATELIMIT_ACCOUNT_CONFIRM", "10 per hour")
        self._read_account_mail_settings()

    def _read_account_mail_settings(self) -> None:
        """Account e-mails (README "E-mail"): without MAIL_SERVER each mail goes to the log."""
        self.MAIL_SERVER = os.environ.get("MAIL_SERVER", "").strip()
        self.MAIL_USE_TLS = _bool_env("MAIL_USE_TLS", False)
        self.MAIL_USE_SSL = _bool_env("MAIL_USE_SSL", False)
        self.MAIL_PORT = _int_env("MAIL_PORT", 465 if self.MAIL_USE_SSL else 25)
        self.MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
        self.MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
        self.MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "noreply@localhost")
        self.MAIL_TIMEOUT = _int_env("MAIL_TIMEOUT", 10)
        # The links in the mails: FRONTEND_URL + /reset-password?token=... (never the Host header).
        self.FRONTEND_URL = os.environ.get("FRONTEND_URL", "http://localhost:3000").rstrip("/")
        self.PASSWORD_RESET_ENABLED = _bool_env("PASSWORD_RESET_ENABLED", True)
        self.PASSWORD_RESET_TOKEN_EXPIRES = timedelta(
            minutes=_int_env("PASSWORD_RESET_TOKEN_MINUTES", 30)
        )
        self.REQUIRE_EMAIL_VERIFICATION = _bool_env("REQUIRE_EMAIL_VERIFICATION", False)
        self.EMAIL_VERIFICATION_TOKEN_EXPIRES = timedelta(
            hours=_int_env("EMAIL_VERIFICATION_TOKEN_HOURS", 48)
        )

    @property
    def sends_account_mail(self) -> bool:
        return self.PASSWORD_RESET_ENABLED or self.REQUIRE_EMAIL_VERIFICATION

    @property
    def PASSWORD_HASH_METHOD(self) -> str:  # noqa: N802 - Flask reads upper-case names
        return f"pbkdf2:sha256:{self.PASSWORD_HASH_ITERATIONS}"

    @property
    def SQLALCHEMY_ENGINE_OPTIONS(self) -> dict[str, Any]:  # noqa: N802
        """Pool settings for a database server: drop dead connections, bound connect time."""
        url = self.SQLALCHEMY_DATABASE_URI
        if url.startswith("sqlite"):
            return {}
        connect_args: dict[str, Any] = {"connect_timeout": CONNECT_TIMEOUT}
        if url.startswith("mysql"):
            connect_args["charset"] = "utf8mb4"
        return {"pool_pre_ping": True, "pool_recycle": 1800, "connect_args": connect_args}

    @property
    def RATELIMIT_STORAGE_OPTIONS(self) -> dict[str, Any]:  # noqa: N802
        """Bound how long a request may wait on Redis before the in-memory fallback takes over."""
        if not self.RATELIMIT_STORAGE_URI.startswith("redis"):
            return {}
        return {
            "socket_connect_timeout": 1,
            "socket_timeout": 1,
            "key_prefix": self.REDIS_KEY_PREFIX,
        }

    def validate(self) -> None:
        """Refuse settings that no environment can run with."""
        if self.PASSWORD_HASH_ITERATIONS < 1:
            raise ConfigurationError("PASSWORD_HASH_ITERATIONS must be positive")
        if self.TRUSTED_PROXY_HOPS < 0:
            raise ConfigurationError("TRUSTED_PROXY_HOPS must be 0 or more")
        if self.MAIL_USE_TLS and self.MAIL_USE_SSL:
            raise ConfigurationError("MAIL_USE_TLS and MAIL_USE_SSL exclude each other")
        lifetimes = {
            "PASSWORD_RESET_TOKEN_MINUTES": self.PASSWORD_RESET_TOKEN_EXPIRES,
            "EMAIL_VERIFICATION_TOKEN_HOURS": self.EMAIL_VERIFICATION_TOKEN_EXPIRES,
        }
        for name, lifetime in lifetimes.items():
            if lifetime <= timedelta(0):
                raise ConfigurationError(f"{name} must be positive")
        for origin in self.CORS_ORIGINS:
            if origin in ("*", "null") or any(ch in origin for ch in REGEX_CHARS):
                raise ConfigurationError(
                    f"CORS_ORIGINS must list exact origins, not patterns or wildcards: {origin!r}"
                )


class DevelopmentConfig(BaseConfig):
    """Local development: debug on, insecure cookies allowed over plain HTTP."""

    ENV_NAME = "development"
    DEBUG = True
    JWT_COOKIE_SECURE = False

    def __init__(self) -> None:
        super().__init__()
        self.SECRET_KEY = self.SECRET_KEY or DEV_SECRET
        self.JWT_SECRET_KEY = self.JWT_SECRET_KEY or self.SECRET_KEY


class ProductionConfig(BaseConfig):
    """Production: JSON logs, secure cookies, and a hard stop on missing or weak secrets."""

    ENV_NAME = "production"
    JSON_LOGS = True

    def validate(self) -> None:
        """Refuse to start without strong secrets and an explicit database."""
        super().validate()
        for name in ("SECRET_KEY", "JWT_SECRET_KEY", "DATABASE_URL"):
            if not os.environ.get(name, "").strip():
                raise ConfigurationError(f"{name} must be set in production")
        if self.sends_account_mail and not self.MAIL_SERVER:
            # The log backend would write live reset links into production logs.
            raise ConfigurationError(
                "MAIL_SERVER must be set in production while PASSWORD_RESET_ENABLED or "
                "REQUIRE_EMAIL_VERIFICATION is on"
            )
        for name in ("SECRET_KEY", "JWT_SECRET_KEY"):
            if len(os.environ[name].encode()) < MIN_SECRET_BYTES:
                raise ConfigurationError(
                    f"{name} must be at least {MIN_SECRET_BYTES} bytes long in production"
                )


class TestingConfig(BaseConfig):
    """Tests: cheap password hashing, no CSRF double-submit, a throwaway database."""

    __test__ = False  # keep pytest from collecting this class
    ENV_NAME = "testing"
    TESTING = True
    JWT_COOKIE_SECURE = False
    JWT_COOKIE_CSRF_PROTECT = False

    def __init__(self) -> None:
        super().__init__()
        self.SECRET_KEY = "testing-secret-key-that-is-long-enough-0123"  # noqa: S105 - tests only
        self.JWT_SECRET_KEY = "testing-jwt-secret-" + "k" * 64
        self.SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
        self.PASSWORD_HASH_ITERATIONS = 1
        # Whatever the shell exports, tests send no spans or events (tests/test_telemetry.py
        # turns them on for itself).
        self.TRACING_ENABLED = False
        self.SENTRY_DSN = ""
        self.RATELIMIT_STORAGE_URI = os.environ.get("TEST_RATELIMIT_STORAGE_URI", "memory://")
        self.RATELIMIT_ENABLED = True
        # Test runs sharing one Redis must not reset each other's counters.
        self.REDIS_KEY_PREFIX = TEST_REDIS_PREFIX


# One namespace per test process, shared by every app the tests build in it.
TEST_REDIS_PREFIX = f"test-{uuid.uuid4().hex}"

CONFIGS: dict[str, type[BaseConfig]] = {
    "development": DevelopmentConfig,
    "production": ProductionConfig,
    "testing": TestingConfig,
}


def config_for(name: str | None = None) -> BaseConfig:
    """Build the config named by `name` or by FLASK_ENV (default: development)."""
    name = (name or os.environ.get("FLASK_ENV") or "development").strip().lower()
    try:
        return CONFIGS[name]()
    except KeyError:
        choices = ", ".join(sorted(CONFIGS))
        raise ConfigurationError(f"FLASK_ENV must be one of {choices}, got {name!r}") from None
