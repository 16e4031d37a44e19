"""The audit log's settings: how long `flask audit purge` keeps events, and its read limits."""

from typing import Any

from app.environment import ConfigurationError, env_int

RATE_LIMITS = {"audit_events": "30 per minute", "my_audit_events": "30 per minute"}


def read(config: Any) -> None:
    # What `flask audit purge` keeps when not told otherwise (README "Audit log").
    config.AUDIT_RETENTION_DAYS = env_int("AUDIT_RETENTION_DAYS", 365)


def validate(config: Any) -> None:
    if config.AUDIT_RETENTION_DAYS < 1:
        raise ConfigurationError("AUDIT_RETENTION_DAYS must be positive")
