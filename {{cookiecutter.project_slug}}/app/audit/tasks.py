"""The audit log's periodic jobs on beat: the retention purge (daily) and the seal (hourly),
which do what `flask audit purge` and `flask audit seal` do; the log keeps each seal's head."""

import logging
from datetime import timedelta

from celery import shared_task
from flask import current_app
from sqlalchemy.exc import IntegrityError

from app.audit import seals
from app.audit.cli import seal_key
from app.core.database import utcnow
from app.jobs.schedule import Periodic

logger = logging.getLogger(__name__)
PERIODIC = (
    Periodic("audit.purge", "AUDIT_PURGE_SCHEDULE", "27 3 * * *"),
    Periodic("audit.seal", "AUDIT_SEAL_SCHEDULE", "7 * * * *"),
)


@shared_task(name="audit.purge")
def purge() -> int:
    days = current_app.config["AUDIT_RETENTION_DAYS"]
    purged = seals.purge_before(utcnow() - timedelta(days=days), seal_key())
    logger.info("purged %d audit events older than %d days", purged, days)
    return purged


@shared_task(name="audit.seal", autoretry_for=(IntegrityError,), max_retries=3, retry_backoff=True)
def seal() -> str:
    # An IntegrityError: another seal was made at the same moment; a later try seals the rest.
    head = seals.seal(seal_key())
    logger.info("audit seal head: %s", head)
    return head
