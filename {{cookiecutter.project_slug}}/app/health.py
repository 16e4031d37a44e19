"""Liveness and readiness probes; never rate limited."""

import logging
import os
from http import HTTPStatus

from flask import current_app, request
from marshmallow import Schema, fields, validate
from sqlalchemy import text

from app.core.api import Blueprint
from app.extensions import db, limiter

logger = logging.getLogger(__name__)

bp = Blueprint("health", __name__, description="Probes for balancers and orchestrators.")


@limiter.request_filter
def is_probe() -> bool:
    """Probes never count against limits: a request filter skips them before any limit is
    resolved (an exempt blueprint would still have its limits looked up on every probe)."""
    return request.blueprint == bp.name


OK = "ok"
UNAVAILABLE = "unavailable"


class HealthSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(["ok"]))


class ReadinessSchema(Schema):
    status = fields.String(
        required=True, validate=validate.OneOf(["ready", "degraded", "draining"])
    )
    checks = fields.Dict(
        keys=fields.String(),
        values=fields.String(validate=validate.OneOf([OK, UNAVAILABLE])),
        required=True,
    )


@bp.get("/health")
@bp.response(HTTPStatus.OK, HealthSchema, description="The process is up")
def health() -> dict[str, str]:
    """Report that the process is up, without touching any dependency."""
    return {"status": OK}


@bp.get("/ready")
@bp.response(HTTPStatus.OK, ReadinessSchema, description="Every dependency answers")
@bp.alt_response(
    HTTPStatus.SERVICE_UNAVAILABLE,
    schema=ReadinessSchema,
    description="Draining, or at least one dependency does not answer",
)
def ready() -> tuple[dict[str, object], int]:
    """Report whether the database (and Redis, when used) answer; 503 when any does not."""
    drain_file = current_app.config["DRAIN_FILE"]
    if drain_file and os.path.exists(drain_file):  # leaving the rotation before a stop
        return {"status": "draining", "checks": {}}, HTTPStatus.SERVICE_UNAVAILABLE
    checks = {"database": _database_state()}
    if current_app.config["RATELIMIT_STORAGE_URI"].startswith("redis"):
        checks["redis"] = _redis_state()
    if all(state == OK for state in checks.values()):
        return {"status": "ready", "checks": checks}, HTTPStatus.OK
    return {"status": "degraded", "checks": checks}, HTTPStatus.SERVICE_UNAVAILABLE


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
