"""Observability's settings: the /metrics listener, tracing by the standard OTEL_* variables, and
Sentry."""

from typing import Any

from app.environment import env, env_bool

RATE_LIMITS: dict[str, str] = {}


def tracing_requested() -> bool:
    """Whether OTEL_* asks for traces: an OTLP endpoint or an exporter named, and no opt-out."""
    if env_bool("OTEL_SDK_DISABLED", False):
        return False
    exporter = env("OTEL_TRACES_EXPORTER").lower()
    if exporter:
        return exporter != "none"
    return bool(env("OTEL_EXPORTER_OTLP_ENDPOINT") or env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))


def read(config: Any) -> None:
    # The listener gunicorn.conf.py adds for /metrics; empty: /metrics is served nowhere.
    config.METRICS_BIND = env("METRICS_BIND")
    config.TRACING_ENABLED = tracing_requested()
    config.SENTRY_DSN = env("SENTRY_DSN")
    config.SENTRY_ENVIRONMENT = env("SENTRY_ENVIRONMENT", config.ENV_NAME)
    config.SENTRY_RELEASE = env("SENTRY_RELEASE") or None
    if config.TESTING:
        # Whatever the shell exports, tests send no spans or events.
        config.TRACING_ENABLED = False
        config.SENTRY_DSN = ""


def validate(config: Any) -> None:
    """Nothing to refuse: the SDKs check their own variables when they start."""
