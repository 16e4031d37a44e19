"""Liveness and readiness probes; never rate limited."""

from http import HTTPStatus

from flask import Blueprint, Response, jsonify, request

from app.core.draining import is_draining
from app.extensions import limiter
from app.modules.health.service import OK, check_dependencies

bp = Blueprint("health", __name__)


@limiter.request_filter
def is_probe() -> bool:
    """Probes never count against limits."""
    return request.blueprint == bp.name


@bp.get("/health")
def health() -> Response:
    """Report that the process is up, without touching any dependency."""
    return jsonify(status="ok")


@bp.get("/ready")
def ready() -> tuple[Response, int]:
    """Report whether the database (and Redis, when used) answer; 503 when any does not."""
    if is_draining():  # the instance is stopping: balancers take it out before it does
        return jsonify(status="draining", checks={}), HTTPStatus.SERVICE_UNAVAILABLE
    checks = check_dependencies()
    if all(state == OK for state in checks.values()):
        return jsonify(status="ready", checks=checks), HTTPStatus.OK
    return jsonify(status="degraded", checks=checks), HTTPStatus.SERVICE_UNAVAILABLE
