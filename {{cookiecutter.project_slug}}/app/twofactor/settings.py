"""Two-factor sign-in's settings: the keys that encrypt the TOTP secrets, the challenge's
lifetime, the admin requirement, and the limits on enrolment and the second step."""

import base64
import hashlib
from datetime import timedelta
from typing import Any

from cryptography.fernet import Fernet

from app.environment import ConfigurationError, env, env_bool, env_int

RATE_LIMITS = {
    # Enrolment and removal, per client.
    "two_factor": "10 per 15 minutes",
    # The second step of a login: per client, and per challenge whoever sends it.
    "login_2fa": "10 per minute",
    "login_2fa_challenge": "5 per 5 minutes",
}


def fernet_key_of(secret: str) -> str:
    """A Fernet key derived from `secret`: development's stand-in when .env sets none."""
    return base64.urlsafe_b64encode(hashlib.sha256(secret.encode()).digest()).decode()


def read(config: Any) -> None:
    # Fernet keys for the TOTP secrets, comma-separated: the first encrypts, all decrypt
    # (README "Two-factor sign-in": rotating the key).
    keys = env("TOTP_ENCRYPTION_KEYS").split(",")
    config.TOTP_ENCRYPTION_KEYS = [key.strip() for key in keys if key.strip()]
    if config.TESTING:
        config.TOTP_ENCRYPTION_KEYS = [fernet_key_of("testing-totp-key")]
    elif config.ENV_NAME == "development" and not config.TOTP_ENCRYPTION_KEYS:
        config.TOTP_ENCRYPTION_KEYS = [fernet_key_of(config.SECRET_KEY)]
    # How long the challenge of a login's second step lasts.
    config.TWO_FACTOR_CHALLENGE_EXPIRES = timedelta(
        seconds=env_int("TWO_FACTOR_CHALLENGE_SECONDS", 300)
    )
    # Admin routes refuse admins without two-factor sign-in (403) while this is on.
    config.REQUIRE_2FA_FOR_ADMINS = env_bool("REQUIRE_2FA_FOR_ADMINS", False)


def validate(config: Any) -> None:
    if timedelta(0) >= config.TWO_FACTOR_CHALLENGE_EXPIRES:
        raise ConfigurationError("TWO_FACTOR_CHALLENGE_SECONDS must be positive")
    for key in config.TOTP_ENCRYPTION_KEYS:
        try:
            Fernet(key)
        except ValueError:
            raise ConfigurationError(
                "TOTP_ENCRYPTION_KEYS must list Fernet keys (32 url-safe base64-encoded bytes)"
            ) from None


def validate_production(config: Any) -> None:
    if not env("TOTP_ENCRYPTION_KEYS"):
        raise ConfigurationError("TOTP_ENCRYPTION_KEYS must be set in production")
