"""Observability: request metrics for Prometheus on a listener of their own, OpenTelemetry
traces and Sentry error reports, each on only when configured (README "Observability")."""

from typing import Any

from flask import Flask


def init_app(app: Flask, api: Any) -> None:
    from app import capabilities
    from app.core import events
    from app.observability import metrics, telemetry

    metrics.init_metrics(app)
    telemetry.init_telemetry(app)
    events.worker_started.connect(metrics.serve_from_worker)
    # Other capabilities' own metrics: importing each `metrics` module subscribes it.
    capabilities.modules("metrics")
