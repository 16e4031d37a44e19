"""The account e-mails' domain errors."""

from http import HTTPStatus

from app.errors import DomainError


class InvalidAccountToken(DomainError):
    # One answer for used, expired, forged and unknown tokens: none tells an attacker more.
    status = HTTPStatus.BAD_REQUEST
    message = "Invalid or expired token"


class EmailNotVerified(DomainError):
    status = HTTPStatus.FORBIDDEN
    message = "Email address not verified: follow the link in the verification email"


class FeatureDisabled(DomainError):
    status = HTTPStatus.NOT_FOUND
    message = "Not Found"
