"""API keys' domain errors."""

from http import HTTPStatus

from app.errors import DomainError


class InvalidApiKey(DomainError):
    # One answer for unknown, revoked and expired keys, and keys of inactive accounts.
    status = HTTPStatus.UNAUTHORIZED
    message = "Invalid, expired or revoked API key"


class ApiKeyNotAllowed(DomainError):
    status = HTTPStatus.FORBIDDEN
    message = "API keys cannot manage the account: sign in with your password for this"


class ApiKeyNotFound(DomainError):
    status = HTTPStatus.NOT_FOUND
    message = "API key not found"
