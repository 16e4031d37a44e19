"""Turn every failure into one JSON shape: {"error": "...", "status_code": N}."""

import logging
import math
import time
from http import HTTPStatus
from typing import Any

from flask import Flask, Response, g, jsonify
from flask_jwt_extended import JWTManager
from marshmallow import ValidationError
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException

from app.errors.domain import DomainError
from app.extensions import db, limiter

logger = logging.getLogger(__name__)


def error_response(message: str, status: int, **extra: Any) -> tuple[Response, int]:
    """Build the JSON error body; `extra` adds keys such as `details`."""
    return jsonify(error=message, status_code=status, **extra), status


def _domain_error(error: DomainError) -> tuple[Response, int]:
    return error_response(error.message, error.status)


def _validation_error(error: ValidationError) -> tuple[Response, int]:
    details = error.messages if isinstance(error.messages, dict) else {"_schema": error.messages}
    return error_response("Validation failed", HTTPStatus.BAD_REQUEST, details=details)


def _http_error(error: HTTPException) -> Response:
    # Keep the headers Werkzeug attaches (Allow on a 405, ...).
    response = error.get_response()
    status = error.code or HTTPStatus.INTERNAL_SERVER_ERROR
    body, _ = error_response(_http_message(error), status)
    response.set_data(body.get_data())
    response.content_type = "application/json"
    if status == HTTPStatus.TOO_MANY_REQUESTS and limiter.current_limit is not None:
        seconds = limiter.current_limit.reset_at - time.time()
        response.headers["Retry-After"] = str(max(1, math.ceil(seconds)))
    return response


def _http_message(error: HTTPException) -> str:
    if error.code == HTTPStatus.TOO_MANY_REQUESTS:
        return f"Rate limit exceeded: {error.description}"
    if error.code in (HTTPStatus.BAD_REQUEST, HTTPStatus.UNSUPPORTED_MEDIA_TYPE):
        return error.description or error.name
    return error.name


def _database_unavailable(error: DBAPIError) -> tuple[Response, int]:
    db.session.rollback()
    logger.error("database unavailable: %s", error.__class__.__name__)
    return error_response("Service temporarily unavailable", HTTPStatus.SERVICE_UNAVAILABLE)


def _unexpected_error(error: Exception) -> tuple[Response, int]:
    db.session.rollback()
    logger.exception("unhandled exception")
    return error_response(
        "Internal server error",
        HTTPStatus.INTERNAL_SERVER_ERROR,
        request_id=g.get("request_id"),
    )


def _jwt_error(message: str) -> tuple[Response, int]:
    return error_response(message, HTTPStatus.UNAUTHORIZED)


def register_error_handlers(app: Flask, jwt: JWTManager) -> None:
    """Install the handlers on `app` and the JSON error callbacks on `jwt`."""
    app.register_error_handler(DomainError, _domain_error)
    app.register_error_handler(ValidationError, _validation_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(OperationalError, _database_unavailable)
    app.register_error_handler(Exception, _unexpected_error)

    jwt.unauthorized_loader(lambda reason: _jwt_error(f"Missing or invalid credentials: {reason}"))
    jwt.invalid_token_loader(lambda reason: _jwt_error(f"Invalid token: {reason}"))
    jwt.expired_token_loader(lambda header, payload: _jwt_error("Token has expired"))
    jwt.revoked_token_loader(lambda header, payload: _jwt_error("Token has been revoked"))
    jwt.needs_fresh_token_loader(lambda header, payload: _jwt_error("Fresh token required"))
    jwt.user_lookup_error_loader(lambda header, payload: _jwt_error("User is unknown or inactive"))
    jwt.token_verification_failed_loader(
        lambda header, payload: _jwt_error("Token claims verification failed")
    )
