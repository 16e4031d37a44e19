"""Settings: what operators tune, each read from the environment (or .env) under one name.

The project's own defaults (its name, database and limit storage, chosen when it was generated)
live in pyproject.toml under [tool.app]; the environment overrides every one of them.
"""

import os
import tempfile
import tomllib
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from dotenv import dotenv_values
from sqlalchemy.engine import make_url

from app import capabilities
from app.environment import ConfigurationError, env, env_bool, env_int

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
DEFAULTS = PROJECT["tool"]["app"]

# Each route's limit, by name; RATELIMIT_<NAME> overrides one (Flask-Limiter's syntax). A
# capability adds its own (its settings module's RATE_LIMITS).
CORE_RATE_LIMITS = {
    "default": "200 per day;50 per hour",
    "register": "5 per hour",
    "login": "10 per minute",
    # Failed logins per account (normalised e-mail), whatever address they come from.
    "login_account": "10 per 15 minutes",
    "users": "30 per minute",
    "users_create": "10 per minute",
    "password_change": "5 per 15 minutes",
}
CAPABILITY_SETTINGS = capabilities.modules("settings")
RATE_LIMITS = CORE_RATE_LIMITS | {
    name: limit for settings in CAPABILITY_SETTINGS for name, limit in settings.RATE_LIMITS.items()
}
MIN_SECRET_BYTES = 32
# The engine whose connections are in autocommit mode, on a database server (SQLALCHEMY_BINDS).
AUTOCOMMIT_BIND = "autocommit"
# Seconds to wait for a database or Redis connection before giving up on the request.
CONNECT_TIMEOUT = 5
# flask-cors treats an origin containing any of these as a regular expression.
REGEX_CHARS = frozenset("*\\]?$^[]()")
DEV_SECRET = "dev-only-secret-replace-me-in-any-real-deployment"  # noqa: S105 - development only


class Config:
    """Settings shared by every environment."""

    ENV_NAME = "base"
    DEBUG = False
    TESTING = False
    JSON_LOGS = False
    JWT_COOKIE_SECURE = True
    JWT_COOKIE_CSRF_PROTECT = True

    API_TITLE = DEFAULTS["title"]
    API_VERSION = PROJECT["project"]["version"]
    OPENAPI_VERSION = "3.1.0"
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    JWT_ACCESS_TOKEN_EXPIRES = timedelta(minutes=15)
    JWT_REFRESH_TOKEN_EXPIRES = timedelta(days=30)
    JWT_ALGORITHM = "HS256"
    JWT_DECODE_ALGORITHMS = ("HS256",)
    JWT_TOKEN_LOCATION = ("headers", "cookies")
    JWT_REFRESH_COOKIE_PATH = "/auth"
    JWT_REFRESH_CSRF_COOKIE_PATH = "/auth"
    JWT_COOKIE_SAMESITE = "Strict"
    JWT_SESSION_COOKIE = False
    # No X-RateLimit-* headers on every answer: with Redis they cost two more round trips per
    # request. A 429 still carries Retry-After (app/errors.py).
    RATELIMIT_HEADERS_ENABLED = False
    # If Redis goes away, keep serving with per-process counters and log a warning.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_KEY_PREFIX = "api"

    def __init__(self) -> None:
        self.read()
        # Each capability reads its own settings, after the environment's own adjustments.
        for settings in CAPABILITY_SETTINGS:
            settings.read(self)

    def read(self) -> None:
        """Read the core's settings; each environment adjusts them after calling this."""
        self.SECRET_KEY = env("SECRET_KEY")
        self.JWT_SECRET_KEY = env("JWT_SECRET_KEY") or self.SECRET_KEY
        self.SQLALCHEMY_DATABASE_URI = env("DATABASE_URL", DEFAULTS["database-url"])
        self.CORS_ORIGINS = [o.strip() for o in env("CORS_ORIGINS").split(",") if o.strip()] or [
            "http://localhost:3000"
        ]
        self.MAX_CONTENT_LENGTH = env_int("MAX_CONTENT_LENGTH", 1024 * 1024)
        self.PASSWORD_HASH_ITERATIONS = env_int("PASSWORD_HASH_ITERATIONS", 600_000)
        self.LOG_LEVEL = env("LOG_LEVEL", "INFO").upper()
        self.TRUSTED_PROXY_HOPS = env_int("TRUSTED_PROXY_HOPS", 0)
        # While this file exists /ready answers 503 (README "Rolling restarts").
        self.DRAIN_FILE = env("DRAIN_FILE")
        # /openapi.json and /docs: on in development and testing, off in production unless set.
        self.OPENAPI_ENABLED = env_bool("OPENAPI_ENABLED", self.DEBUG or self.TESTING)
        # Browsers only accept a __Secure- cookie over HTTPS with the Secure flag.
        prefix = "__Secure-" if self.JWT_COOKIE_SECURE else ""
        self.JWT_REFRESH_COOKIE_NAME = f"{prefix}refresh_token"
        self.JWT_REFRESH_CSRF_COOKIE_NAME = f"{prefix}csrf_refresh_token"

        self.RATELIMIT_ENABLED = env_bool("RATELIMIT_ENABLED", True)
        self.RATELIMIT_STORAGE_URI = env("RATELIMIT_STORAGE_URI", DEFAULTS["ratelimit-storage-uri"])
        # Namespace of the counters in Redis, for services that share one Redis.
        self.RATELIMIT_REDIS_PREFIX = env("RATELIMIT_REDIS_PREFIX", "LIMITS")
        self.RATE_LIMITS = {
            name: env(f"RATELIMIT_{name.upper()}", default) for name, default in RATE_LIMITS.items()
        }

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
    def SQLALCHEMY_BINDS(self) -> dict[str, Any]:  # noqa: N802
        """On a database server, a second pool for the token check, the one query of every
        authenticated request (Flask-SQLAlchemy's binds; SQLALCHEMY_ENGINE_OPTIONS apply too).

        Its connections are in autocommit mode: no transaction to begin or roll back. They are
        not pinged before each use, which would cost a round trip a request: a connection the
        server dropped fails the query, SQLAlchemy replaces the pool's connections, and the
        query (a read) is asked again (app/auth/repository.py; SQLAlchemy's "Disconnect
        Handling - Optimistic"). SQLite's driver begins no transaction for a SELECT anyway.
        """
        url = self.SQLALCHEMY_DATABASE_URI
        if url.startswith("sqlite"):
            return {}
        return {
            AUTOCOMMIT_BIND: {"url": url, "isolation_level": "AUTOCOMMIT", "pool_pre_ping": False}
        }

    @property
    def RATELIMIT_STORAGE_OPTIONS(self) -> dict[str, Any]:  # noqa: N802
        """Bound how long a request may wait on Redis before the in-memory fallback takes over."""
        if not self.RATELIMIT_STORAGE_URI.startswith("redis"):
            return {}
        return {
            "socket_connect_timeout": 1,
            "socket_timeout": 1,
            "key_prefix": self.RATELIMIT_REDIS_PREFIX,
        }

    @property
    def RATELIMIT_DEFAULT(self) -> str:  # noqa: N802
        return self.RATE_LIMITS["default"]

    def validate(self) -> None:
        """Refuse settings that no environment can run with."""
        if self.PASSWORD_HASH_ITERATIONS < 1:
            raise ConfigurationError("PASSWORD_HASH_ITERATIONS must be positive")
        if self.TRUSTED_PROXY_HOPS < 0:
            raise ConfigurationError("TRUSTED_PROXY_HOPS must be 0 or more")
        for origin in self.CORS_ORIGINS:
            if origin in ("*", "null") or any(ch in origin for ch in REGEX_CHARS):
                raise ConfigurationError(
                    f"CORS_ORIGINS must list exact origins, not patterns or wildcards: {origin!r}"
                )
        for settings in CAPABILITY_SETTINGS:
            settings.validate(self)


class DevelopmentConfig(Config):
    """Local development: debug on, insecure cookies allowed over plain HTTP."""

    ENV_NAME = "development"
    DEBUG = True
    JWT_COOKIE_SECURE = False

    def read(self) -> None:
        super().read()
        self.SECRET_KEY = self.SECRET_KEY or DEV_SECRET
        self.JWT_SECRET_KEY = self.JWT_SECRET_KEY or self.SECRET_KEY


class ProductionConfig(Config):
    """Production: JSON logs, secure cookies, and a hard stop on missing or weak secrets."""

    ENV_NAME = "production"
    JSON_LOGS = True

    def validate(self) -> None:
        """Refuse to start without strong secrets and an explicit database."""
        super().validate()
        for name in ("SECRET_KEY", "JWT_SECRET_KEY", "DATABASE_URL"):
            if not env(name):
                raise ConfigurationError(f"{name} must be set in production")
        for settings in CAPABILITY_SETTINGS:
            if hasattr(settings, "validate_production"):
                settings.validate_production(self)
        for name in ("SECRET_KEY", "JWT_SECRET_KEY"):
            if len(env(name).encode()) < MIN_SECRET_BYTES:
                raise ConfigurationError(
                    f"{name} must be at least {MIN_SECRET_BYTES} bytes long in production"
                )


def database_url_for_tests() -> str:
    """TEST_DATABASE_URL; else `<name>_test` on the server DATABASE_URL (environment, then .env,
    then the project's default) names; for SQLite, a new file for this process."""
    explicit = env("TEST_DATABASE_URL")
    if explicit:
        return explicit
    development = (
        env("DATABASE_URL")
        or dotenv_values(ROOT / ".env").get("DATABASE_URL")
        or DEFAULTS["database-url"]
    )
    url = make_url(development)
    if url.get_backend_name() == "sqlite":
        return f"sqlite:///{Path(tempfile.gettempdir()) / f'test-{os.getpid()}.db'}"
    return url.set(database=f"{url.database}_test").render_as_string(hide_password=False)


class TestingConfig(Config):
    """Tests: cheap hashing, no CSRF double-submit, their own database and limit counters."""

    __test__ = False  # keep pytest from collecting this class
    ENV_NAME = "testing"
    TESTING = True
    JWT_COOKIE_SECURE = False
    JWT_COOKIE_CSRF_PROTECT = False
    # One namespace of counters per test process, shared by every app the tests build in it.
    REDIS_PREFIX = f"test-{uuid.uuid4().hex}"

    def read(self) -> None:
        super().read()
        self.SECRET_KEY = "testing-secret-key-that-is-long-enough-0123"  # noqa: S105 - tests only
        self.JWT_SECRET_KEY = "testing-jwt-secret-" + "k" * 64
        self.SQLALCHEMY_DATABASE_URI = database_url_for_tests()
        self.PASSWORD_HASH_ITERATIONS = 1
        self.RATE_LIMITS = dict(RATE_LIMITS)
        self.RATELIMIT_ENABLED = True
        self.RATELIMIT_STORAGE_URI = env("TEST_RATELIMIT_STORAGE_URI", "memory://")
        self.RATELIMIT_REDIS_PREFIX = self.REDIS_PREFIX


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "production": ProductionConfig,
    "testing": TestingConfig,
}


def config_for(name: str | None = None) -> Config:
    """Build the config named by `name` or by FLASK_ENV (default: development)."""
    name = (name or env("FLASK_ENV", "development")).lower()
    if name not in CONFIGS:
        choices = ", ".join(sorted(CONFIGS))
        raise ConfigurationError(f"FLASK_ENV must be one of {choices}, got {name!r}")
    return CONFIGS[name]()
