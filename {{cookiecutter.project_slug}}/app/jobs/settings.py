"""Background jobs' settings: the broker, the worker's threads and every periodic job's schedule
(README "Background jobs")."""

import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from app import capabilities
from app.environment import ConfigurationError, env, env_int
from app.jobs import schedule

RATE_LIMITS: dict[str, str] = {}
# Database 1 of the local Redis: the rate limiter's counters use database 0.
DEFAULT_BROKER = "redis://localhost:6379/1"
BROKER_SCHEMES = ("redis", "rediss")
# Where beat keeps when each job last ran: a temporary folder (writable in the image), named
# after the project's folder so two projects on one machine keep apart.
BEAT_FILE = str(Path(tempfile.gettempdir()) / f"celerybeat-{Path(__file__).parents[2].name}")


def periodic_jobs() -> list[schedule.Periodic]:
    """Every periodic job the installed capabilities declare (their `tasks` modules)."""
    return [job for module in capabilities.modules("tasks") for job in module.PERIODIC]


def read(config: Any) -> None:
    config.CELERY_BROKER_URL = env("CELERY_BROKER_URL", DEFAULT_BROKER)
    # Put before every key the queue keeps in Redis, for services that share one database.
    config.CELERY_BROKER_PREFIX = env("CELERY_BROKER_PREFIX")
    # Tasks in flight at once in one worker process (its threads).
    config.CELERY_CONCURRENCY = env_int("CELERY_CONCURRENCY", 4)
    for job in periodic_jobs():
        setattr(config, job.setting, env(job.setting, job.default))
    if config.TESTING:
        # Tests publish to an in-process queue nobody consumes; the tests that run real
        # workers give them a real broker (tests/jobs/).
        config.CELERY_BROKER_URL = "memory://"


def validate(config: Any) -> None:
    broker = urlsplit(config.CELERY_BROKER_URL)
    if broker.scheme not in (*BROKER_SCHEMES, "memory"):
        raise ConfigurationError(
            f"CELERY_BROKER_URL must be a redis:// or rediss:// URL, got {broker.scheme!r}"
        )
    limiter = urlsplit(config.RATELIMIT_STORAGE_URI)
    on_redis = broker.scheme in BROKER_SCHEMES and limiter.scheme in BROKER_SCHEMES
    if on_redis and same_database(broker.geturl(), limiter.geturl()):
        raise ConfigurationError(
            "CELERY_BROKER_URL must name another Redis database than RATELIMIT_STORAGE_URI "
            "(redis://host:6379/1, say)"
        )
    if config.CELERY_CONCURRENCY < 1:
        raise ConfigurationError("CELERY_CONCURRENCY must be positive")
    for job in periodic_jobs():
        schedule.parse(job.setting, getattr(config, job.setting))


def same_database(first: str, second: str) -> bool:
    """Whether two Redis URLs name the same database of the same server."""

    def where(url: str) -> tuple[str, int, str]:
        parts = urlsplit(url)
        return (parts.hostname or "localhost", parts.port or 6379, parts.path.strip("/") or "0")

    return where(first) == where(second)


def validate_production(config: Any) -> None:
    if urlsplit(config.CELERY_BROKER_URL).scheme not in BROKER_SCHEMES:
        # memory:// keeps tasks in the process that sends them: no worker would ever run one.
        raise ConfigurationError(
            "CELERY_BROKER_URL must be a redis:// or rediss:// URL in production"
        )
