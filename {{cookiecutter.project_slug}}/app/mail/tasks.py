"""The outbox delivered by Celery tasks (README "Background jobs"): the outbox row stays the
truth, a task only carries its id.

A request commits its row; after the commit, one `mail.deliver` task per new row is queued.
The task leases the row, sends and records the outcome (app/mail/service.py); a failed send
queues the same task again for the row's next attempt, until MAIL_MAX_ATTEMPTS fail the row.
A task for a row that is sent, failed, gone or held by another sends nothing, so a task run
twice sends once. What a queue may lose (Redis down when the request committed, a worker killed
mid-send) `mail.sweep` finds: every MAIL_SWEEP_SCHEDULE it queues the rows due for longer than
a lease that nobody holds, and it sets the outbox's gauges.
"""

import logging
from datetime import datetime, timedelta
from typing import Any

from celery import shared_task
from flask import Flask, current_app
from sqlalchemy import event, inspect

from app.core.database import utcnow
from app.extensions import db
from app.jobs.queue import publish
from app.jobs.schedule import Periodic
from app.mail import service
from app.mail.models import PENDING

logger = logging.getLogger(__name__)
PERIODIC = (Periodic("mail.sweep", "MAIL_SWEEP_SCHEDULE", "30"),)
# At most this many rows queued by one sweep: a long backlog is worked off, not multiplied.
SWEEP_BATCH = 500


def read(config: Any) -> None:
    """No settings of its own: the sweep's schedule is a periodic job's (app/jobs/settings.py)."""


def validate(config: Any) -> None:
    """Nothing to check beyond the outbox's own settings."""


def init_app(app: Flask) -> None:
    """Nothing to start in the app: its requests queue tasks after their commits (below)."""


@shared_task(name="mail.deliver", bind=True, max_retries=None)
def deliver(self: Any, mail_id: int) -> str:
    """Deliver outbox row `mail_id`; the row's state after."""
    attempt = service.deliver(mail_id)
    if attempt.status == PENDING and attempt.next_attempt_at is not None:
        raise self.retry(countdown=seconds_until(attempt.next_attempt_at))
    return attempt.status or "skipped"


@shared_task(name="mail.sweep")
def sweep(grace_seconds: int | None = None) -> int:
    """Queue every row due for longer than a lease (or `grace_seconds`) that nobody holds."""
    grace = timedelta(seconds=current_app.config["MAIL_LEASE_SECONDS"])
    if grace_seconds is not None:
        grace = timedelta(seconds=grace_seconds)
    ids = service.overdue(grace, SWEEP_BATCH)
    db.session.rollback()
    queued = sum(publish(lambda i=mail_id: deliver.delay(i), f"mail {mail_id}") for mail_id in ids)
    if ids:
        logger.info("sweep queued %d of %d overdue mails", queued, len(ids))
    service.report_status()
    return queued


def seconds_until(moment: datetime) -> float:
    return max(0.0, (moment - utcnow()).total_seconds())


# SQLAlchemy's session events (https://docs.sqlalchemy.org/en/20/orm/events.html): after the
# commit that wrote outbox rows, one task per row. The ids come from the identity map, which the
# commit has expired but not forgotten, so no query runs here.
@event.listens_for(db.session, "after_commit")
def _queue_committed(session: Any) -> None:
    for mail in session.info.pop(service.ENQUEUED, ()):
        identity = inspect(mail).identity
        if identity is not None:
            publish(lambda i=identity[0]: deliver.delay(i), f"mail {identity[0]}")


@event.listens_for(db.session, "after_rollback")
def _forget_rolled_back(session: Any) -> None:
    session.info.pop(service.ENQUEUED, None)
