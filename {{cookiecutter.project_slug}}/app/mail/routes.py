"""/auth/password-reset and /auth/verify-email: reset a forgotten password and verify the
address by mailed links (on the core's /auth blueprint, whose CSRF and cache rules they share)."""

from collections.abc import Callable
from http import HTTPStatus
from typing import TypeVar

from app.auth.routes import bp, email_key
from app.auth.schemas import MessageSchema
from app.mail import account
from app.mail.schemas import EmailSchema, PasswordResetSchema, TokenSchema

F = TypeVar("F", bound=Callable[..., object])

# The same answer whether or not the address has an account.
RESET_REQUESTED = "If an account uses this address, a link to reset its password is on its way"
VERIFICATION_REQUESTED = "If an unverified account uses this address, a new link is on its way"


def account_mail_limits(view: F) -> F:
    """The limits of the routes that send a mail: per client, and per address whoever asks."""
    view = bp.limit("account_mail_address", key_func=email_key)(view)
    return bp.limit("account_mail")(view)


@bp.post("/password-reset")
@account_mail_limits
@bp.arguments(EmailSchema)
@bp.response(HTTPStatus.ACCEPTED, MessageSchema, description="The same answer for every address")
@bp.errors(404)
def request_password_reset(data: dict[str, str]) -> dict[str, str]:
    """Ask for a password reset link by e-mail; the answer is the same for any address.

    Only an active account is sent a link; it works once, and a new request replaces it. 404
    when PASSWORD_RESET_ENABLED is off.
    """
    account.request_password_reset(data["email"])
    return {"message": RESET_REQUESTED}


@bp.post("/password-reset/confirm")
@bp.limit("account_confirm")
@bp.arguments(PasswordResetSchema)
@bp.response(HTTPStatus.OK, MessageSchema)
@bp.errors(404)
def confirm_password_reset(data: dict[str, str]) -> dict[str, str]:
    """Set a new password with the token from the reset mail; every session ends.

    A used, expired, replaced, forged or unknown token gets the same 400.
    """
    account.reset_password(**data)
    return {"message": "Password reset; log in with the new password"}


@bp.post("/verify-email/resend")
@account_mail_limits
@bp.arguments(EmailSchema)
@bp.response(HTTPStatus.ACCEPTED, MessageSchema, description="The same answer for every address")
def request_verification(data: dict[str, str]) -> dict[str, str]:
    """Ask for a new e-mail verification link; the answer is the same for any address.

    Only an active, unverified account is sent a new link.
    """
    account.request_verification(data["email"])
    return {"message": VERIFICATION_REQUESTED}


@bp.post("/verify-email/confirm")
@bp.limit("account_confirm")
@bp.arguments(TokenSchema)
@bp.response(HTTPStatus.OK, MessageSchema)
def confirm_verification(data: dict[str, str]) -> dict[str, str]:
    """Verify your e-mail address with the token from the verification mail.

    A used, expired, replaced, forged or unknown token gets the same 400.
    """
    account.verify_email(**data)
    return {"message": "Email address verified"}
