"""The audit log's settings: how long `flask audit purge` keeps events, and its read limits."""

from typing import Any

from app.environment import ConfigurationError, env, env_int

MIN_SEAL_KEY = 32
RATE_LIMITS = {"audit_events": "30 per minute", "my_audit_events": "30 per minute"}


def read(config: Any) -> None:
    # What `flask audit purge` keeps when not told otherwise (README "Audit log").
    config.AUDIT_RETENTION_DAYS = env_int("AUDIT_RETENTION_DAYS", 365)
    # Makes each seal an HMAC (README "Audit log: export and seals"); empty: plain SHA-256.
    config.AUDIT_SEAL_KEY = env("AUDIT_SEAL_KEY") or None


def validate(config: Any) -> None:
    if config.AUDIT_RETENTION_DAYS < 1:
        raise ConfigurationError("AUDIT_RETENTION_DAYS must be positive")
    if config.AUDIT_SEAL_KEY is not None and len(config.AUDIT_SEAL_KEY) < MIN_SEAL_KEY:
        raise ConfigurationError(f"AUDIT_SEAL_KEY must be at least {MIN_SEAL_KEY} characters")
