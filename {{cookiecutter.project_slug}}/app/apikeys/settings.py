"""API keys' settings: the fixed start of every key, and the limit on creating them."""

from typing import Any

RATE_LIMITS = {"api_keys": "10 per hour"}


def read(config: Any) -> None:
    from app.config import DEFAULTS

    # The fixed start of every key, so secret scanners can spot a leaked one.
    config.API_KEY_PREFIX = DEFAULTS["api-key-prefix"]


def validate(config: Any) -> None:
    """Nothing to refuse: the prefix is the project's own."""
