"""Liveness and readiness probes; never rate limited."""

from http import HTTPStatus

from flask import Blueprint, Response, jsonify
from sqlalchemy import text

from app.extensions import db, limiter

bp = Blueprint("health", __name__)


@bp.get("/health")
@limiter.exempt
def health() -> Response:
    """Report that the process is up, without touching any dependency."""
    return jsonify(status="ok")


@bp.get("/ready")
@limiter.exempt
def ready() -> tuple[Response, int]:
    """Report whether the database answers."""
    try:
        db.session.execute(text("SELECT 1"))
        checks = {"database": "ok"}
    except Exception:  # noqa: BLE001 - any failure means "not ready"
        db.session.rollback()
        checks = {"database": "unavailable"}
    ready_ = all(value == "ok" for value in checks.values())
    status = HTTPStatus.OK if ready_ else HTTPStatus.SERVICE_UNAVAILABLE
    return jsonify(status="ready" if ready_ else "degraded", checks=checks), status
