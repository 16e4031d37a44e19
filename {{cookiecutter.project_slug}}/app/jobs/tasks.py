"""The core's periodic job: expired sessions (and what else expired) deleted daily."""

import logging

from celery import shared_task

from app.auth import service as auth_service
from app.jobs.schedule import Periodic

logger = logging.getLogger(__name__)
PERIODIC = (Periodic("sessions.purge", "SESSIONS_PURGE_SCHEDULE", "17 3 * * *"),)


@shared_task(name="sessions.purge")
def purge_sessions() -> None:
    for what, count in auth_service.purge_expired():
        logger.info("purged %d %s%s", count, what, "" if count == 1 else "s")
