"""The audit log's domain errors."""

from http import HTTPStatus

from app.errors import DomainError


class InvalidCursor(DomainError):
    status = HTTPStatus.BAD_REQUEST
    message = "Invalid cursor: pass on the one from the previous page's Link header"
