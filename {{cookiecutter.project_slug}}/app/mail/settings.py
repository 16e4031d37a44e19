"""The account e-mails' settings: the SMTP server, retries, the links' lifetimes and the limits
on asking for and using a link (README "E-mail"); the deliverer reads its own."""

import importlib
from datetime import timedelta
from types import ModuleType
from typing import Any

from app.environment import ConfigurationError, env, env_bool, env_int

RATE_LIMITS = {
    # Reset and verification mails: per client, and per address whoever asks.
    "account_mail": "5 per hour",
    "account_mail_address": "3 per hour",
    "account_confirm": "10 per hour",
}
# The module that delivers the outbox (its settings, its start): the generator keeps one line.
DELIVERERS = (
    "app.mail.tasks",
    "app.mail.sender",
)


def deliverer() -> ModuleType:
    return importlib.import_module(DELIVERERS[0])


def read(config: Any) -> None:
    # Without MAIL_SERVER each mail goes to the log.
    config.MAIL_SERVER = env("MAIL_SERVER")
    config.MAIL_USE_TLS = env_bool("MAIL_USE_TLS", False)
    config.MAIL_USE_SSL = env_bool("MAIL_USE_SSL", False)
    config.MAIL_PORT = env_int("MAIL_PORT", 465 if config.MAIL_USE_SSL else 25)
    config.MAIL_USERNAME = env("MAIL_USERNAME")
    config.MAIL_PASSWORD = env("MAIL_PASSWORD")
    config.MAIL_DEFAULT_SENDER = env("MAIL_DEFAULT_SENDER", "noreply@localhost")
    config.MAIL_TIMEOUT = env_int("MAIL_TIMEOUT", 10)
    # Failed sends are retried after MAIL_RETRY_SECONDS, doubling up to an hour,
    # MAIL_MAX_ATTEMPTS times in all; a deliverer that died frees its mail after
    # MAIL_LEASE_SECONDS.
    config.MAIL_MAX_ATTEMPTS = env_int("MAIL_MAX_ATTEMPTS", 10)
    config.MAIL_RETRY_SECONDS = env_int("MAIL_RETRY_SECONDS", 30)
    config.MAIL_LEASE_SECONDS = env_int("MAIL_LEASE_SECONDS", 120)
    # The links in the mails: FRONTEND_URL + /reset-password?token=... (never the Host header).
    config.FRONTEND_URL = env("FRONTEND_URL", "http://localhost:3000").rstrip("/")
    config.PASSWORD_RESET_ENABLED = env_bool("PASSWORD_RESET_ENABLED", True)
    config.PASSWORD_RESET_TOKEN_EXPIRES = timedelta(
        minutes=env_int("PASSWORD_RESET_TOKEN_MINUTES", 30)
    )
    config.REQUIRE_EMAIL_VERIFICATION = env_bool("REQUIRE_EMAIL_VERIFICATION", False)
    config.EMAIL_VERIFICATION_TOKEN_EXPIRES = timedelta(
        hours=env_int("EMAIL_VERIFICATION_TOKEN_HOURS", 48)
    )
    if config.TESTING:
        # Whatever the shell exports, tests send no mail: they deliver the outbox themselves
        # (tests/mailbox.py), moving the clock as they need.
        config.MAIL_SERVER = ""
    deliverer().read(config)


def validate(config: Any) -> None:
    if config.MAIL_USE_TLS and config.MAIL_USE_SSL:
        raise ConfigurationError("MAIL_USE_TLS and MAIL_USE_SSL exclude each other")
    for name in ("MAIL_MAX_ATTEMPTS", "MAIL_LEASE_SECONDS"):
        if getattr(config, name) < 1:
            raise ConfigurationError(f"{name} must be positive")
    if config.MAIL_RETRY_SECONDS < 0:
        raise ConfigurationError("MAIL_RETRY_SECONDS must be 0 or more")
    if config.MAIL_LEASE_SECONDS <= config.MAIL_TIMEOUT:
        # A lease shorter than one SMTP conversation would let a second sender take the mail.
        raise ConfigurationError("MAIL_LEASE_SECONDS must be longer than MAIL_TIMEOUT")
    if timedelta(0) >= config.PASSWORD_RESET_TOKEN_EXPIRES:
        raise ConfigurationError("PASSWORD_RESET_TOKEN_MINUTES must be positive")
    if timedelta(0) >= config.EMAIL_VERIFICATION_TOKEN_EXPIRES:
        raise ConfigurationError("EMAIL_VERIFICATION_TOKEN_HOURS must be positive")
    deliverer().validate(config)


def validate_production(config: Any) -> None:
    sends_account_mail = config.PASSWORD_RESET_ENABLED or config.REQUIRE_EMAIL_VERIFICATION
    if sends_account_mail and not config.MAIL_SERVER:
        # The log backend would write live reset links into production logs.
        raise ConfigurationError(
            "MAIL_SERVER must be set in production while PASSWORD_RESET_ENABLED or "
            "REQUIRE_EMAIL_VERIFICATION is on"
        )
