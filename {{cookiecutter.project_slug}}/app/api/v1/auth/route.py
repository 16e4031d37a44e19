"""Auth endpoints: URL, method, rate limit and token requirement, then the controller."""

from flask import Blueprint, Response, current_app

from app.extensions import limiter
from app.modules.auth import controller
from app.utils.auth import logout_required, refresh_required
from app.utils.limits import login_account_key, login_failed

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
    key_func=login_account_key,
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
