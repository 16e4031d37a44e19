"""Tracing (OpenTelemetry) and error reporting (Sentry), each on only when configured.

Tracing is on when `Config.TRACING_ENABLED` says so (the rule, in app/config.py, reads
the standard OTEL_* variables). A span for every request, named by method and route template,
goes to an OTLP collector over HTTP/protobuf; the SDK reads everything else itself:
OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER(_ARG), OTEL_PROPAGATORS,
OTEL_EXPORTER_OTLP_* (endpoint, headers, timeout, compression) and OTEL_BSP_* (batching).

Error reporting is on when SENTRY_DSN is set. The JSON handler for unexpected errors
(app/errors.py) logs them with `logger.exception`; Sentry's logging integration, on by
default, sends every ERROR record as an event with its exception, so the catch-all handler (which
keeps Flask's got_request_exception signal from firing) loses nothing. Events carry no personal
data: no cookies, headers such as Authorization, client addresses, request bodies or local
variables of the failing frames (which hold what the request sent).

When off, neither library is imported: the request path is the one without them.
"""

import os
from typing import TYPE_CHECKING

from flask import Flask

from app.environment import ConfigurationError

if TYPE_CHECKING:  # imported for real only when tracing is on
    from opentelemetry.sdk.trace.export import SpanExporter

# Health probes arrive every few seconds from every balancer; their spans would drown the rest.
# OTEL_PYTHON_FLASK_EXCLUDED_URLS (comma-separated regular expressions) replaces this list.
DEFAULT_EXCLUDED_URLS = "/health$,/ready$"
EXPORTERS = ("otlp", "console")
OTLP_PROTOCOL = "http/protobuf"


def init_telemetry(app: Flask) -> None:
    """Trace `app` and report its errors, as far as its config turns either on."""
    if app.config["TRACING_ENABLED"]:
        _start_tracing()
        _instrument(app)
    if app.config["SENTRY_DSN"]:
        _start_error_reporting(app)


def _start_tracing() -> None:
    """Install this process's tracer provider and its exporters, once.

    OpenTelemetry's guide to fork process models asks for the exporter to start in each gunicorn
    worker, after the fork. gunicorn.conf.py does not preload the app, so create_app, and this,
    already run in each worker after it has forked and installed its signal handlers. A post_fork
    hook would run before those handlers, and a SIGTERM arriving while it imports the SDK would
    be lost until the graceful timeout. Keep `preload_app` off with tracing on.
    """
    from opentelemetry import trace
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    if isinstance(trace.get_tracer_provider(), TracerProvider):
        return
    # Resource.create() reads OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES; the provider reads
    # the sampler, and flushes what is queued when the process exits (shutdown_on_exit).
    provider = TracerProvider(resource=Resource.create())
    for exporter in _exporters():
        provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)


def _exporters() -> list["SpanExporter"]:
    from opentelemetry.sdk.trace.export import ConsoleSpanExporter

    names = os.environ.get("OTEL_TRACES_EXPORTER", "").strip().lower() or "otlp"
    exporters: list[SpanExporter] = []
    for name in (part.strip() for part in names.split(",")):
        if name not in EXPORTERS:
            raise ConfigurationError(f"OTEL_TRACES_EXPORTER may name {EXPORTERS}, got {name!r}")
        exporters.append(_otlp_exporter() if name == "otlp" else ConsoleSpanExporter())
    return exporters


def _otlp_exporter() -> "SpanExporter":
    protocol = (
        os.environ.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
        or os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL")
        or OTLP_PROTOCOL
    ).strip()
    if protocol != OTLP_PROTOCOL:
        raise ConfigurationError(f"OTLP is sent as {OTLP_PROTOCOL} here, not {protocol!r}")
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter()


def _instrument(app: Flask) -> None:
    from opentelemetry.instrumentation.flask import FlaskInstrumentor

    FlaskInstrumentor.instrument_app(
        app,
        excluded_urls=os.environ.get("OTEL_PYTHON_FLASK_EXCLUDED_URLS", DEFAULT_EXCLUDED_URLS),
        enable_commenter=False,
    )


def _start_error_reporting(app: Flask) -> None:
    import sentry_sdk

    sentry_sdk.init(
        dsn=app.config["SENTRY_DSN"],
        environment=app.config["SENTRY_ENVIRONMENT"],
        release=app.config["SENTRY_RELEASE"],
        send_default_pii=False,
        # Bodies hold e-mail addresses and passwords; the event keeps method, URL and route.
        max_request_body_size="never",
        include_local_variables=False,
        # Errors only: performance tracing is OpenTelemetry's job here.
        traces_sample_rate=None,
    )
