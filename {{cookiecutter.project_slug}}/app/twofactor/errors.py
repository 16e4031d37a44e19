"""Two-factor sign-in's domain errors."""

from http import HTTPStatus

from app.errors import DomainError


class TwoFactorAlreadyEnabled(DomainError):
    status = HTTPStatus.CONFLICT
    message = "Two-factor sign-in is already on; turn it off first to set up a new authenticator"


class TwoFactorNotSetUp(DomainError):
    status = HTTPStatus.CONFLICT
    message = "Two-factor sign-in is not set up: start with POST /auth/2fa/setup"


class TwoFactorNotEnabled(DomainError):
    status = HTTPStatus.CONFLICT
    message = "Two-factor sign-in is not on for this account"


class IncorrectPasswordOrCode(DomainError):
    # One answer whichever of the two was wrong.
    status = HTTPStatus.BAD_REQUEST
    message = "Password or code is incorrect"


class IncorrectCode(DomainError):
    status = HTTPStatus.BAD_REQUEST
    message = "Code is incorrect or already used"


class InvalidLoginChallenge(DomainError):
    # One answer for an unknown, expired or used challenge and a wrong or replayed code.
    status = HTTPStatus.UNAUTHORIZED
    message = "Invalid or expired challenge, or incorrect code"


class TwoFactorRequired(DomainError):
    status = HTTPStatus.FORBIDDEN
    message = (
        "Admins must turn on two-factor sign-in to use admin routes: "
        "POST /auth/2fa/setup, then POST /auth/2fa/enable"
    )
