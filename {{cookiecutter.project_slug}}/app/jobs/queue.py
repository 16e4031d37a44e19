"""The Celery app of a Flask app, as Flask's guide builds it ("Background Tasks with Celery":
https://flask.palletsprojects.com/en/stable/patterns/celery/): every task runs inside the app
context, so it uses the app's settings and database session like a request does.

Delivery is at least once: a task is acknowledged after it ran (acks_late), so a worker that
dies mid-task leaves it to run again; every task here must therefore be idempotent. A message
lost before it reached the broker (Redis down at the moment of publishing) is made good by the
periodic job of the task's owner that looks for the work left undone and queues it again.
"""

import logging
from collections.abc import Callable
from typing import Any

from celery import Celery, Task
from flask import Flask

from app.jobs import schedule
from app.jobs.settings import BEAT_FILE, periodic_jobs

logger = logging.getLogger(__name__)
# A published message unacknowledged this long is handed to another worker (Redis transport):
# longer than any task and than the longest retry countdown (an hour), so a task running or
# waiting for its retry is never handed out twice in the normal course.
VISIBILITY_TIMEOUT = 2 * 3600
# Publishing from a request: fail fast when Redis is away (the request has committed; the
# periodic sweep publishes the work later) instead of holding the request for seconds.
PUBLISH_RETRY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
CONNECT_SECONDS = 2


def settings_of(app: Flask) -> dict[str, Any]:
    """Celery's settings (https://docs.celeryq.dev/en/stable/userguide/configuration.html)."""
    config = app.config
    beat: dict[str, Any] = {}
    for job in periodic_jobs():
        when = schedule.parse(job.setting, config[job.setting])
        if when is not None:
            beat[job.task] = {"task": job.task, "schedule": when}
    return {
        "broker_url": config["CELERY_BROKER_URL"],
        "broker_connection_retry_on_startup": True,
        "broker_connection_timeout": CONNECT_SECONDS,
        "broker_transport_options": {
            "visibility_timeout": VISIBILITY_TIMEOUT,
            "socket_connect_timeout": CONNECT_SECONDS,
            "socket_timeout": 10,
            "global_keyprefix": config["CELERY_BROKER_PREFIX"],
        },
        "task_publish_retry_policy": PUBLISH_RETRY,
        # No task here returns a result anyone reads: no result backend, no result writes.
        "task_ignore_result": True,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_serializer": "json",
        "accept_content": ["json"],
        # Threads: the tasks wait on SMTP and the database, not on the CPU; one process keeps
        # one database pool and one registry of numbers (README "Background jobs").
        "worker_pool": "threads",
        "worker_concurrency": config["CELERY_CONCURRENCY"],
        "worker_hijack_root_logger": False,
        "enable_utc": True,
        "timezone": "UTC",
        "beat_schedule": beat,
        "beat_schedule_filename": BEAT_FILE,
    }


def init_celery(app: Flask) -> Celery:
    """Make the Celery app of `app` (app.extensions["celery"]) the one tasks are sent with."""

    class FlaskTask(Task):  # type: ignore[misc]
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            with app.app_context():
                return self.run(*args, **kwargs)

    celery = Celery(app.import_name, task_cls=FlaskTask)
    celery.config_from_object(settings_of(app))
    celery.set_default()
    app.extensions["celery"] = celery
    return celery


def publish(send: Callable[[], object], what: str) -> bool:
    """Send a task (`send` calls its `delay`); False, logged, when the broker is away."""
    try:
        send()
    except Exception:  # kombu's OperationalError, or any other failure to reach the broker
        logger.warning("could not queue %s: the periodic sweep will", what, exc_info=True)
        return False
    return True
