"""gunicorn settings, read from the environment.

gunicorn loads this file by itself when started from this folder (`gunicorn wsgi:app`); options
on its command line or in GUNICORN_CMD_ARGS still win. Settings:
  BIND (0.0.0.0:$PORT), PORT (8000)   where to listen
  WEB_CONCURRENCY (2)                 worker processes
  GUNICORN_THREADS (1)                threads per worker; above 1 the workers are gthread
  GUNICORN_TIMEOUT (30)               seconds a silent worker lives before it is restarted
  GUNICORN_GRACEFUL_TIMEOUT (30)      seconds workers get to finish requests on a restart
  GUNICORN_KEEPALIVE (5)              seconds an idle keep-alive connection stays open
  TRUSTED_PROXY_HOPS (0)              as for the app; FORWARDED_ALLOW_IPS overrides the result
  LOG_LEVEL (INFO)                    as for the app
  GUNICORN_DRAIN_SECONDS (0)          on SIGTERM, answer /ready with 503 this long before stopping
  METRICS_BIND (none)                 a second listener, serving only /metrics (app/core/metrics.py)
  PROMETHEUS_MULTIPROC_DIR            required with METRICS_BIND: one empty directory per instance
"""

import logging
import os

from app.core import draining, metrics
from app.core.logging import JsonFormatter


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


# Every interface, as in a container or behind a proxy; BIND=127.0.0.1:8000 keeps it local.
bind = os.environ.get("BIND") or f"0.0.0.0:{os.environ.get('PORT') or 8000}"
workers = _int_env("WEB_CONCURRENCY", 2)
threads = _int_env("GUNICORN_THREADS", 1)
timeout = _int_env("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int_env("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int_env("GUNICORN_KEEPALIVE", 5)
drain_seconds = _int_env("GUNICORN_DRAIN_SECONDS", 0)

# Metrics get a listener of their own, never the public one (see app/core/metrics.py).
metrics_bind = os.environ.get("METRICS_BIND", "").strip()
if metrics_bind:
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        raise RuntimeError(
            "METRICS_BIND needs PROMETHEUS_MULTIPROC_DIR, one directory per instance"
        )
    bind = [bind, metrics_bind]


# Server hooks: https://docs.gunicorn.org/en/stable/settings.html#server-hooks
def on_starting(server):
    draining.create_marker_location()
    if metrics_bind:
        metrics.clear_multiprocess_dir()


def when_ready(server):
    draining.drain_on_sigterm(drain_seconds, server.log)


def child_exit(server, worker):
    if metrics_bind:
        metrics.forget_worker(worker.pid)


def on_exit(server):
    draining.remove_marker_location()


# X-Forwarded-Proto is believed as far as the app's ProxyFix believes X-Forwarded-*: from the
# proxy in front when TRUSTED_PROXY_HOPS > 0 (its address is rarely known in advance), else
# from no one.
forwarded_allow_ips = os.environ.get(
    "FORWARDED_ALLOW_IPS", "*" if _int_env("TRUSTED_PROXY_HOPS", 0) > 0 else ""
)


class AccessFields(logging.Filter):
    """Turn gunicorn's access record into the app's access line: method, path, status, time."""

    def filter(self, record: logging.LogRecord) -> bool:
        atoms = record.args if isinstance(record.args, dict) else {}
        record.method = _atom(atoms, "m")
        record.path = _atom(atoms, "U")
        record.status = int(atoms["s"]) if str(atoms.get("s", "")).isdigit() else None
        record.duration_ms = round(atoms.get("D", 0) / 1000, 2)
        record.remote_addr = _atom(atoms, "h")
        # The id the app put on the response (gunicorn keys headers in lower case).
        record.request_id = _atom(atoms, "{x-request-id}o")
        record.msg, record.args = "%s %s %s", (record.method, record.path, record.status)
        return True


def _atom(atoms: dict, key: str) -> str:
    # gunicorn escapes double quotes for its text format; JSON escapes them itself.
    return str(atoms.get(key, "-")).replace('\\"', '"')


loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# One JSON object per line, as the app writes in production. The root logger gets no handler:
# the app's loggers have their own, and would otherwise print every line twice. gunicorn writes
# the access line, with the same fields, so the app's own (logger app.access) is silenced: one
# line per request.
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "root": {"level": "WARNING", "handlers": []},
    "formatters": {"json": {"()": JsonFormatter}},
    "filters": {"access_fields": {"()": AccessFields}},
    "handlers": {
        "error": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stderr",
        },
        "access": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["access_fields"],
            "stream": "ext://sys.stdout",
        },
    },
    "loggers": {
        "gunicorn.error": {"handlers": ["error"], "propagate": False},
        "gunicorn.access": {"handlers": ["access"], "propagate": False},
        "app.access": {"level": "WARNING"},
    },
}
