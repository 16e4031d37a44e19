"""Every failure as one JSON shape, {"error": "...", "status_code": N}, and the domain errors.

Services raise `DomainError`s, never HTTP ones; each declares the status it answers with.
"""

import logging
import math
import time
from http import HTTPStatus
from typing import Any, ClassVar

from flask import Flask, Response, g, jsonify
from flask_jwt_extended import JWTManager
from marshmallow import Schema, ValidationError, fields
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from app.extensions import db, limiter

logger = logging.getLogger(__name__)


class DomainError(Exception):
    """Base class: `message` is safe to show to the client; `status` is the HTTP answer.

    Every subclass must name its `status`: one without it fails at import, never a silent 400.
    """

    message = "The request could not be completed"
    status: ClassVar[HTTPStatus]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not isinstance(getattr(cls, "status", None), HTTPStatus):
            raise TypeError(f"{cls.__name__} must set `status` to an HTTPStatus")

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.message)
        self.message = message or self.message


class EmailAlreadyRegistered(DomainError):
    status = HTTPStatus.CONFLICT
    message = "A user with this email already exists"


class InvalidCredentials(DomainError):
    status = HTTPStatus.UNAUTHORIZED
    message = "Invalid email or password"


class UserNotFound(DomainError):
    status = HTTPStatus.NOT_FOUND
    message = "User not found"


class PermissionDenied(DomainError):
    status = HTTPStatus.FORBIDDEN
    message = "You do not have permission to perform this action"


class RefreshTokenReused(DomainError):
    status = HTTPStatus.UNAUTHORIZED
    message = "Refresh token has already been used; the session has been revoked"


class SessionEnded(DomainError):
    # The token's session was revoked (logout, a new password, a deactivation) or has expired.
    status = HTTPStatus.UNAUTHORIZED
    message = "Token has been revoked"


class IncorrectPassword(DomainError):
    status = HTTPStatus.BAD_REQUEST
    message = "Current password is incorrect"


class LastAdmin(DomainError):
    status = HTTPStatus.CONFLICT
    message = "The last active admin cannot be deleted, demoted or deactivated"


class OwnAdminAccount(DomainError):
    status = HTTPStatus.FORBIDDEN
    message = "Admins cannot delete, demote or deactivate their own account; another admin can"


class ErrorSchema(Schema):
    """Every error the API answers with (the OpenAPI document's error responses)."""

    error = fields.String(required=True, metadata={"description": "What went wrong."})
    status_code = fields.Integer(required=True, metadata={"description": "The HTTP status."})
    details = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "On a 400 for a field that failed validation: what, per field."},
    )
    request_id = fields.String(metadata={"description": "Only on 500: quote it in a bug report."})


def error_response(message: str, status: int, **extra: Any) -> tuple[Response, int]:
    """Build the JSON error body; `extra` adds keys such as `details`."""
    return jsonify(error=message, status_code=status, **extra), status


def http_error(error: HTTPException) -> Response:
    """Any HTTP error, a failed validation (webargs' 400 with its messages) included."""
    response = error.get_response()  # keeps the headers Werkzeug attaches (Allow on a 405, ...)
    status = error.code or HTTPStatus.INTERNAL_SERVER_ERROR
    extra = {}
    messages = (getattr(error, "data", None) or {}).get("messages")
    if messages:
        # webargs keys messages by location; each request validates one location at a time.
        (details,) = messages.values()
        extra["details"] = details
        message = "Validation failed"
    elif status == HTTPStatus.TOO_MANY_REQUESTS:
        message = f"Rate limit exceeded: {error.description}"
    elif status in (HTTPStatus.BAD_REQUEST, HTTPStatus.UNSUPPORTED_MEDIA_TYPE):
        message = error.description or error.name
    else:
        message = error.name
    body, _ = error_response(message, status, **extra)
    response.set_data(body.get_data())
    response.content_type = "application/json"
    if status == HTTPStatus.TOO_MANY_REQUESTS and limiter.current_limit is not None:
        seconds = limiter.current_limit.reset_at - time.time()
        response.headers["Retry-After"] = str(max(1, math.ceil(seconds)))
    return response


def _validation_error(error: ValidationError) -> tuple[Response, int]:
    details = error.messages if isinstance(error.messages, dict) else {"_schema": error.messages}
    return error_response("Validation failed", HTTPStatus.BAD_REQUEST, details=details)


def _database_unavailable(error: OperationalError) -> tuple[Response, int]:
    db.session.rollback()
    logger.error("database unavailable: %s", error.__class__.__name__)
    return error_response("Service temporarily unavailable", HTTPStatus.SERVICE_UNAVAILABLE)


def _unexpected_error(error: Exception) -> tuple[Response, int]:
    db.session.rollback()
    logger.exception("unhandled exception")
    return error_response(
        "Internal server error", HTTPStatus.INTERNAL_SERVER_ERROR, request_id=g.get("request_id")
    )


def _unauthorized(message: str) -> tuple[Response, int]:
    return error_response(message, HTTPStatus.UNAUTHORIZED)


def register_error_handlers(app: Flask, jwt: JWTManager) -> None:
    """Install the handlers on `app` and the JSON error callbacks on `jwt`.

    HTTP errors go through `Api.handle_http_exception` (app/core/api.py), flask-smorest's
    documented override.
    """
    app.register_error_handler(
        DomainError, lambda error: error_response(error.message, error.status)
    )
    app.register_error_handler(ValidationError, _validation_error)
    app.register_error_handler(OperationalError, _database_unavailable)
    app.register_error_handler(Exception, _unexpected_error)

    jwt.unauthorized_loader(
        lambda reason: _unauthorized(f"Missing or invalid credentials: {reason}")
    )
    jwt.invalid_token_loader(lambda reason: _unauthorized(f"Invalid token: {reason}"))
    jwt.expired_token_loader(lambda header, payload: _unauthorized("Token has expired"))
    jwt.needs_fresh_token_loader(lambda header, payload: _unauthorized("Fresh token required"))
    jwt.user_lookup_error_loader(
        lambda header, payload: _unauthorized("User is unknown or inactive")
    )
    jwt.token_verification_failed_loader(
        lambda header, payload: _unauthorized("Token claims verification failed")
    )
