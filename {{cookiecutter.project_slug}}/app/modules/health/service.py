"""Readiness: can this process reach what it depends on?"""

import logging

from flask import current_app
from sqlalchemy import text

from app.extensions import db, limiter

logger = logging.getLogger(__name__)

OK = "ok"
UNAVAILABLE = "unavailable"


def check_dependencies() -> dict[str, str]:
    """Return the state of the database and, when limits live in Redis, of Redis."""
    checks = {"database": _database_state()}
    if current_app.config["RATELIMIT_STORAGE_URI"].startswith("redis"):
        checks["redis"] = _redis_state()
    return checks


def _database_state() -> str:
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any failure means "not ready"
        db.session.rollback()
        logger.warning("readiness: database unavailable", exc_info=True)
        return UNAVAILABLE
    return OK


def _redis_state() -> str:
    try:
        reachable = limiter.storage.check()
    except Exception:  # noqa: BLE001
        reachable = False
    if not reachable:
        logger.warning("readiness: Redis unavailable; rate limits are per process until it returns")
    return OK if reachable else UNAVAILABLE
