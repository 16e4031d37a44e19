"""Liveness and readiness probes; never rate limited."""

import os
from http import HTTPStatus

from flask import Blueprint, Response, current_app, jsonify, request

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
    drain_file = current_app.config["DRAIN_FILE"]
    if drain_file and os.path.exists(drain_file):  # leaving the rotation before a stop
        return jsonify(status="draining", checks={}), HTTPStatus.SERVICE_UNAVAILABLE
    checks = check_dependencies()
    if all(state == OK for state in checks.values()):
        return jsonify(status="ready", checks=checks), HTTPStatus.OK
    return jsonify(status="degraded", checks=checks), HTTPStatus.SERVICE_UNAVAILABLE
