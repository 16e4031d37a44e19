"""Errors the services raise. They name what went wrong, never an HTTP status."""


class DomainError(Exception):
    """Base class: `message` is safe to show to the client."""

    message = "The request could not be completed"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.message)
        self.message = message or self.message


class EmailAlreadyRegistered(DomainError):
    message = "A user with this email already exists"


class InvalidCredentials(DomainError):
    message = "Invalid email or password"


class UserNotFound(DomainError):
    message = "User not found"


class PermissionDenied(DomainError):
    message = "You do not have permission to perform this action"


class RefreshTokenReused(DomainError):
    message = "Refresh token has already been used; the session has been revoked"
