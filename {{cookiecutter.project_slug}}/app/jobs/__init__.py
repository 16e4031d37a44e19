"""Background jobs on Celery: a task queue whose tasks run inside the Flask app, a worker that
runs them, and beat, which starts each periodic job on its schedule (README "Background jobs").

Every installed capability's `tasks` module holds its tasks and its periodic jobs (`PERIODIC`);
this package holds the Celery app, the core's periodic jobs and the worker's entry point.
"""

from typing import Any

from flask import Flask


def init_app(app: Flask, api: Any) -> None:
    from app import capabilities
    from app.jobs.queue import init_celery

    init_celery(app)
    # Importing each `tasks` module registers its tasks, in the worker as in the app.
    capabilities.modules("tasks")
