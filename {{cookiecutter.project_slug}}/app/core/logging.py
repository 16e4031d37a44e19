"""Logging: a request id on every line, JSON lines in production, one access line a request."""

import json
import logging
import os
import re
import sys
import time
from datetime import UTC, datetime

from flask import Flask, Response, g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-ID"
# Accept a caller's id only if it is short and harmless to echo into logs and headers.
REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

access_logger = logging.getLogger("app.access")


class RequestIdFilter(logging.Filter):
    """Attach the current request id (or "-") to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: timestamp, level, logger, message, request id and extras."""

    EXTRA_FIELDS = ("method", "path", "status", "duration_ms", "remote_addr")

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        entry.update({k: getattr(record, k) for k in self.EXTRA_FIELDS if hasattr(record, k)})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def init_logging(app: Flask) -> None:
    """Send app logs to stderr in the configured format and log one line per request."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(
        JsonFormatter() if app.config["JSON_LOGS"] else logging.Formatter(TEXT_FORMAT)
    )

    # Every module logs under "app" (this package), which is also Flask's `app.logger`;
    # Flask-Limiter reports a lost Redis under its own name.
    # They do not propagate: a root handler (Alembic's logging config installs one when
    # migrations run in-process) would print every line twice.
    for name in ("app", "flask-limiter"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(app.config["LOG_LEVEL"])
        logger.propagate = False

    app.before_request(_start_request)
    app.after_request(_finish_request)


def _start_request() -> None:
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = incoming if REQUEST_ID_PATTERN.match(incoming) else os.urandom(16).hex()
    g.request_started = time.perf_counter()


def _finish_request(response: Response) -> Response:
    request_id = g.get("request_id") or os.urandom(16).hex()
    response.headers[REQUEST_ID_HEADER] = request_id
    # The one access line of the request, under gunicorn too (whose own is off).
    started = g.get("request_started")
    duration_ms = round((time.perf_counter() - started) * 1000, 2) if started else None
    access_logger.info(
        "%s %s %s",
        request.method,
        request.path,
        response.status_code,
        extra={
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "duration_ms": duration_ms,
            "remote_addr": request.remote_addr,
        },
    )
    return response
