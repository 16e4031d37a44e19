"""Auth endpoints: URL, method, rate limit and token requirement, then the controller."""

from flask import Blueprint, Response, current_app

from app.extensions import limiter
from app.modules.auth import controller
from app.utils.auth import login_required, refresh_required

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
@login_required
def logout() -> Response:
    """Log out: revoke the session and clear the refresh cookie."""
    return controller.logout()
