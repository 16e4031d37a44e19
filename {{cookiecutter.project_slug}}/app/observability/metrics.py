"""Prometheus metrics: requests and their latency per route template, served off the public port.

Every request is counted by method, route template (`/users/<int:user_id>`, never the raw path)
and status. Under gunicorn each worker writes its numbers to files in PROMETHEUS_MULTIPROC_DIR
(prometheus_client's multiprocess mode), and a scrape adds up every worker's files, so any worker
can answer it. `/metrics` is served only on the listener named by METRICS_BIND (gunicorn.conf.py
binds it next to the public one); on the public port it is an ordinary 404.
"""

import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from flask import Flask, Response, g, request, request_finished, request_started
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    make_wsgi_app,
    multiprocess,
    start_http_server,
)

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
LABELS = ("method", "route", "status")
# Requests that matched no route (404, 405) share one label, so paths cannot grow the series.
UNMATCHED = "unmatched"

REQUESTS = Counter("http_requests_total", "HTTP requests answered.", LABELS)
LATENCY = Histogram(
    "http_request_duration_seconds", "Time from routing a request to its response.", LABELS
)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def init_metrics(app: Flask) -> None:
    """Count and time every request of `app`; serve /metrics on METRICS_BIND's port if set."""
    # Flask's documented signals: https://flask.palletsprojects.com/en/stable/api/#signals
    request_started.connect(_start_timer, app)
    request_finished.connect(_observe, app)
    port = metrics_port(app.config["METRICS_BIND"])
    if port:
        app.wsgi_app = MetricsListener(app.wsgi_app, port)  # type: ignore[method-assign]


def metrics_port(bind: str) -> str:
    """The port of a `host:port` bind ("" when metrics are not served)."""
    return bind.rpartition(":")[2] if bind else ""


def serve_from_worker(app: Flask) -> None:
    """In a process with no listener of its own (a worker): serve its numbers on METRICS_BIND
    with prometheus_client's own exporter."""
    port = metrics_port(app.config["METRICS_BIND"])
    if port:
        start_http_server(int(port), addr=app.config["METRICS_BIND"].rpartition(":")[0])


def _start_timer(sender: Flask, **extra: Any) -> None:
    g.metrics_started = time.perf_counter()


def _observe(sender: Flask, response: Response, **extra: Any) -> None:
    started = g.get("metrics_started")
    rule = request.url_rule
    labels = (
        request.method if request.method in METHODS else "other",
        rule.rule if rule is not None else UNMATCHED,
        str(response.status_code),
    )
    REQUESTS.labels(*labels).inc()
    if started is not None:
        LATENCY.labels(*labels).observe(time.perf_counter() - started)


def registry() -> CollectorRegistry:
    """Every worker's numbers under gunicorn (multiprocess mode), else this process's own."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    # https://prometheus.github.io/client_python/multiprocess/
    collected = CollectorRegistry()
    multiprocess.MultiProcessCollector(collected)
    return collected


def clear_multiprocess_dir() -> None:
    """In the gunicorn master before workers start: empty PROMETHEUS_MULTIPROC_DIR of old runs."""
    # The multiprocess docs ask for the directory to be wiped between runs.
    directory = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob("*.db"):
        old.unlink()


def forget_worker(pid: int) -> None:
    """In the gunicorn master when a worker exits (the `child_exit` hook of the same docs)."""
    multiprocess.mark_process_dead(pid)


class MetricsListener:
    """WSGI middleware: requests that reached the metrics port get /metrics, and nothing else.

    It wraps the app outside ProxyFix, so SERVER_PORT is the port of the socket gunicorn
    accepted on (gunicorn takes it from the listener, not from the Host header).
    """

    def __init__(self, app: WSGIApp, port: str) -> None:
        self.app = app
        self.port = port
        self.metrics = make_wsgi_app(registry())

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if environ.get("SERVER_PORT") != self.port:
            return self.app(environ, start_response)
        if environ.get("PATH_INFO") == "/metrics":
            return self.metrics(environ, start_response)
        start_response("404 NOT FOUND", [("Content-Type", "application/json")])
        return [b'{"error": "Not Found", "status_code": 404}']
