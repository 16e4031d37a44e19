"""Errors the services raise: what went wrong, and the HTTP status it answers with."""

from http import HTTPStatus
from typing import Any, ClassVar


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


class InvalidAccountToken(DomainError):
    # One answer for used, expired, forged and unknown tokens: none tells an attacker more.
    status = HTTPStatus.BAD_REQUEST
    message = "Invalid or expired token"


class IncorrectPassword(DomainError):
    status = HTTPStatus.BAD_REQUEST
    message = "Current password is incorrect"


class EmailNotVerified(DomainError):
    status = HTTPStatus.FORBIDDEN
    message = "Email address not verified: follow the link in the verification email"


class LastAdmin(DomainError):
    status = HTTPStatus.CONFLICT
    message = "The last active admin cannot be deleted, demoted or deactivated"


class OwnAdminAccount(DomainError):
    status = HTTPStatus.FORBIDDEN
    message = "Admins cannot delete, demote or deactivate their own account; another admin can"


class FeatureDisabled(DomainError):
    status = HTTPStatus.NOT_FOUND
    message = "Not Found"
