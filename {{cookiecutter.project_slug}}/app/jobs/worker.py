"""The Celery app the worker and beat run: `celery -A app.jobs.worker worker` and
`celery -A app.jobs.worker beat` (make worker, make beat). Like wsgi.py, it reads .env first."""

from pathlib import Path
from typing import Any

from celery import signals
from dotenv import load_dotenv

from app import create_app
from app.core import events

load_dotenv(Path(__file__).resolve().parents[2] / ".env")
flask_app = create_app()
celery = flask_app.extensions["celery"]


@signals.worker_ready.connect
def _started(**extra: Any) -> None:
    # Whatever serves this process's numbers starts with the worker (app/core/events.py).
    events.worker_started.send(flask_app)
