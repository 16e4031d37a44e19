"""gunicorn settings that differ from its defaults, read from the environment.

gunicorn loads this file by itself when started from this folder (`gunicorn wsgi:app`); its
command line and GUNICORN_CMD_ARGS still win. Settings (README "Configuration"):
  BIND (0.0.0.0:$PORT), PORT (8000)        where to listen
  WEB_CONCURRENCY (1 or 2)                 workers: 1 while rate-limit counters are in process
                                           memory, so limits hold as written; else 2
  GUNICORN_THREADS (4 or 1)                threads per worker (4 for that lone worker)
  GUNICORN_TIMEOUT, GUNICORN_GRACEFUL_TIMEOUT (30, 30)
  GUNICORN_PIDFILE                         the master's pid, for scripts/stop.sh
The app writes the access line itself (app/core/logging.py), so gunicorn's stays off. Each
capability with a `server` module adds its listeners and hooks (app/capabilities.py).
"""

from pathlib import Path

from dotenv import load_dotenv
from gunicorn import glogging

# As wsgi.py does, so that settings kept in .env count here too (the environment still wins).
load_dotenv(Path(__file__).with_name(".env"))

from app import capabilities  # noqa: E402 - after .env is loaded
from app.config import config_for, env, env_int  # noqa: E402
from app.core.logging import JsonFormatter  # noqa: E402

# Not named `config`: gunicorn would read that as its own setting of the same name.
_app_config = config_for()
SERVER_PARTS = capabilities.modules("server")
# Counters in process memory are per worker: N workers would allow N times every limit.
PER_PROCESS_LIMITS = _app_config.RATELIMIT_ENABLED and _app_config.RATELIMIT_STORAGE_URI.startswith(
    "memory"
)

bind = [env("BIND", f"0.0.0.0:{env('PORT', '8000')}")]
workers = env_int("WEB_CONCURRENCY", 1 if PER_PROCESS_LIMITS else 2)
threads = env_int("GUNICORN_THREADS", 4 if PER_PROCESS_LIMITS and workers == 1 else 1)
timeout = env_int("GUNICORN_TIMEOUT", 30)
graceful_timeout = env_int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = 5
pidfile = env("GUNICORN_PIDFILE") or None
# X-Forwarded-Proto is believed as far as the app's ProxyFix believes X-Forwarded-*.
forwarded_allow_ips = env("FORWARDED_ALLOW_IPS", "*" if _app_config.TRUSTED_PROXY_HOPS else "")
for part in SERVER_PARTS:
    if hasattr(part, "binds"):
        bind.extend(part.binds(_app_config))


class JsonLogger(glogging.Logger):
    """gunicorn's own lines (start, workers, errors) in the app's JSON format.

    Set as `logger_class`, not through `logconfig_dict`: any logging config makes gunicorn
    build its access-line fields on every request, only to drop them.
    """

    def setup(self, cfg):
        super().setup(cfg)
        for handler in self.error_log.handlers:
            handler.setFormatter(JsonFormatter())


logger_class = JsonLogger
loglevel = _app_config.LOG_LEVEL.lower()


def _each(hook, *args):
    """Run every capability's gunicorn `hook`, where it has one."""
    for part in SERVER_PARTS:
        if hasattr(part, hook):
            getattr(part, hook)(_app_config, *args)


# Server hooks: https://docs.gunicorn.org/en/stable/settings.html#server-hooks
def on_starting(server):
    # A new start is never draining, even if the last stop left its drain file behind.
    if _app_config.DRAIN_FILE:
        Path(_app_config.DRAIN_FILE).unlink(missing_ok=True)
    _each("on_starting", server)


def post_worker_init(worker):
    # The app this worker serves (not preloaded: each worker imported it after the fork).
    from wsgi import app

    _each("post_worker_init", worker, app)


def worker_exit(server, worker):
    _each("worker_exit", server, worker)


def child_exit(server, worker):
    _each("child_exit", server, worker)


def nworkers_changed(server, new_value, old_value):
    if PER_PROCESS_LIMITS and new_value > 1:
        server.log.warning(
            "Rate limits are counted in each worker's memory (RATELIMIT_STORAGE_URI=memory://): "
            "%d workers allow up to %d times every limit. Run one worker (WEB_CONCURRENCY=1, "
            "more GUNICORN_THREADS) or keep the counters in Redis (RATELIMIT_STORAGE_URI).",
            new_value,
            new_value,
        )
