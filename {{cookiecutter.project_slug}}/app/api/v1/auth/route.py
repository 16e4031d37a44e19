"""Auth endpoints: URL, method, rate limit and token requirement, then the controller."""

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, Response, current_app

from app.extensions import limiter
from app.modules.account import controller as account
from app.modules.auth import controller
from app.utils.auth import login_required, logout_required, refresh_required
from app.utils.limits import email_key, login_failed

F = TypeVar("F", bound=Callable[..., Any])

bp = Blueprint("auth", __name__, url_prefix="/auth")


@bp.after_request
def never_cache(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/register")
@limiter.limit(lambda: current_app.config["RATELIMIT_REGISTER"])
def register() -> tuple[Response, int]:
    """Register a new user."""
    return controller.register()


@bp.post("/login")
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"])
@limiter.limit(
    lambda: current_app.config["RATELIMIT_LOGIN_ACCOUNT"],
    key_func=email_key,
    deduct_when=login_failed,
)
def login() -> Response:
    """Log in: access token in the body, refresh token in an HttpOnly cookie."""
    return controller.login()


@bp.post("/refresh")
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"])
@refresh_required
def refresh() -> Response:
    """Trade the refresh cookie for a new access token and a new refresh cookie."""
    return controller.refresh()


@bp.post("/logout")
@logout_required
def logout() -> Response:
    """Log out: revoke the session and clear the refresh cookie."""
    return controller.logout()


@bp.post("/password")
@limiter.limit(lambda: current_app.config["RATELIMIT_PASSWORD_CHANGE"])
@login_required
def change_password() -> Response:
    """Change your password; your other sessions end, this one stays."""
    return account.change_password()


def account_mail_limits(view: F) -> F:
    """The limits of the routes that send a mail: per client, and per address whoever asks."""
    view = limiter.limit(
        lambda: current_app.config["RATELIMIT_ACCOUNT_MAIL_ADDRESS"], key_func=email_key
    )(view)
    return limiter.limit(lambda: current_app.config["RATELIMIT_ACCOUNT_MAIL"])(view)


@bp.post("/password-reset")
@account_mail_limits
def request_password_reset() -> tuple[Response, int]:
    """Ask for a password reset link by e-mail; the answer is the same for any address."""
    return account.request_password_reset()


@bp.post("/password-reset/confirm")
@limiter.limit(lambda: current_app.config["RATELIMIT_ACCOUNT_CONFIRM"])
def confirm_password_reset() -> Response:
    """Set a new password with the token from the reset mail; every session ends."""
    return account.confirm_password_reset()


@bp.post("/verify-email/resend")
@account_mail_limits
def request_verification() -> tuple[Response, int]:
    """Ask for a new e-mail verification link; the answer is the same for any address."""
    return account.request_verification()


@bp.post("/verify-email/confirm")
@limiter.limit(lambda: current_app.config["RATELIMIT_ACCOUNT_CONFIRM"])
def confirm_verification() -> Response:
    """Verify your e-mail address with the token from the verification mail."""
    return account.confirm_verification()
