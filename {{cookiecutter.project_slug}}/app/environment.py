"""Reading settings from the environment (or .env): the helpers of app/config.py and of every
capability's settings module."""

import os


class ConfigurationError(RuntimeError):
    """Raised when the environment cannot run the selected configuration."""


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, "").strip() or default


def env_int(name: str, default: int) -> int:
    raw = env(name)
    try:
        return int(raw) if raw else default
    except ValueError:
        raise ConfigurationError(f"{name} must be an integer, got {raw!r}") from None


def env_bool(name: str, default: bool) -> bool:
    raw = env(name).lower()
    return raw in {"1", "true", "yes", "on"} if raw else default
