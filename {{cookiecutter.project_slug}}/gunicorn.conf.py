"""gunicorn settings, read from the environment.

gunicorn loads this file by itself when started from this folder (`gunicorn wsgi:app`); options
on its command line or in GUNICORN_CMD_ARGS still win. Settings:
  BIND (0.0.0.0:$PORT), PORT (8000)   where to listen
  WEB_CONCURRENCY (1 or 2)            worker processes: 1 while rate-limit counters are in
                                      process memory (memory://), so limits hold as written
  GUNICORN_THREADS (4 or 1)           threads per worker (4 for that lone worker); above 1 the
                                      workers are gthread
  GUNICORN_TIMEOUT (30)               seconds a silent worker lives before it is restarted
  GUNICORN_GRACEFUL_TIMEOUT (30)      seconds workers get to finish requests on a restart
  GUNICORN_KEEPALIVE (5)              seconds an idle keep-alive connection stays open
  TRUSTED_PROXY_HOPS (0)              as for the app; FORWARDED_ALLOW_IPS overrides the result
  LOG_LEVEL (INFO)                    as for the app
  GUNICORN_PIDFILE (none)             where gunicorn writes its master's pid (scripts/stop.sh)
  DRAIN_FILE (none)                   as for the app (/ready is 503 while it exists); a start
                                      removes it
  METRICS_BIND (none)                 a second listener, serving only /metrics (app/core/metrics.py)
  PROMETHEUS_MULTIPROC_DIR            required with METRICS_BIND: one empty directory per instance
"""

import os
from pathlib import Path

from dotenv import load_dotenv
from gunicorn.glogging import Logger

from app.core import metrics
from app.core.config import config_for
from app.core.logging import JsonFormatter

# As wsgi.py does, so that settings kept in .env count here too (the environment still wins).
load_dotenv(Path(__file__).with_name(".env"))


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


# Every interface, as in a container or behind a proxy; BIND=127.0.0.1:8000 keeps it local.
bind = os.environ.get("BIND") or f"0.0.0.0:{os.environ.get('PORT') or 8000}"
# Counters in process memory are per worker: N workers would allow N times every limit. One
# worker with threads counts every request; Redis counters are shared, so workers may be many.
_app_config = config_for()
PER_PROCESS_LIMITS = _app_config.RATELIMIT_ENABLED and _app_config.RATELIMIT_STORAGE_URI.startswith(
    "memory"
)
workers = _int_env("WEB_CONCURRENCY", 1 if PER_PROCESS_LIMITS else 2)
threads = _int_env("GUNICORN_THREADS", 4 if PER_PROCESS_LIMITS and workers == 1 else 1)
timeout = _int_env("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int_env("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int_env("GUNICORN_KEEPALIVE", 5)
pidfile = os.environ.get("GUNICORN_PIDFILE") or None

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
    # A new start is never draining, even if the last stop left its drain file behind.
    if _app_config.DRAIN_FILE:
        Path(_app_config.DRAIN_FILE).unlink(missing_ok=True)
    if metrics_bind:
        metrics.clear_multiprocess_dir()


def child_exit(server, worker):
    if metrics_bind:
        metrics.forget_worker(worker.pid)


# X-Forwarded-Proto is believed as far as the app's ProxyFix believes X-Forwarded-*: from the
# proxy in front when TRUSTED_PROXY_HOPS > 0 (its address is rarely known in advance), else
# from no one.
forwarded_allow_ips = os.environ.get(
    "FORWARDED_ALLOW_IPS", "*" if _int_env("TRUSTED_PROXY_HOPS", 0) > 0 else ""
)


def nworkers_changed(server, new_value: int, old_value: int | None) -> None:
    """Warn when several workers would each count limits alone.

    A gunicorn server hook (docs: Settings, Server Hooks), called at start and on TTIN/TTOU.
    """
    if PER_PROCESS_LIMITS and new_value > 1:
        server.log.warning(
            "Rate limits are counted in each worker's memory (RATELIMIT_STORAGE_URI=memory://): "
            "%d workers allow up to %d times every limit. Run one worker (WEB_CONCURRENCY=1, "
            "more GUNICORN_THREADS) or keep the counters in Redis (RATELIMIT_STORAGE_URI).",
            new_value,
            new_value,
        )


class JsonAccessLogger(Logger):
    """gunicorn's logger, writing each access line with the fields of the app's access line.

    A `logger_class` (https://docs.gunicorn.org/en/stable/settings.html#logger-class) with
    gunicorn's own `atoms` of the request, the values `access_log_format` names.
    """

    def access(self, resp, req, environ, request_time) -> None:
        if not self.access_log_enabled:
            return
        atoms = self.atoms(resp, req, environ, request_time)
        method, path, status = atoms["m"], atoms["U"], atoms["s"]
        self.access_log.info(
            "%s %s %s",
            method,
            path,
            status,
            extra={
                "method": method,
                "path": path,
                "status": int(status) if str(status).isdigit() else None,
                "duration_ms": round(request_time.total_seconds() * 1000, 2),
                "remote_addr": atoms["h"],
                # The id the app put on the response (gunicorn keys headers in lower case).
                "request_id": atoms.get("{x-request-id}o", "-"),
            },
        )


logger_class = JsonAccessLogger
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
    "handlers": {
        "error": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stderr",
        },
        "access": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stdout",
        },
    },
    "loggers": {
        "gunicorn.error": {"handlers": ["error"], "propagate": False},
        "gunicorn.access": {"handlers": ["access"], "propagate": False},
        "app.access": {"level": "WARNING"},
    },
}
