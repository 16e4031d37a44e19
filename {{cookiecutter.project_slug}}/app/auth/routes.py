"""/auth: registration, login and sessions, and the account's password."""

from collections.abc import Callable
from functools import wraps
from http import HTTPStatus
from typing import Any, TypeVar

from flask import Response, after_this_request, current_app, jsonify, request
from flask_jwt_extended import (
    get_csrf_token,
    get_jwt,
    set_refresh_cookies,
    unset_refresh_cookies,
)

from app.auth import account, service
from app.auth.schemas import (
    AccessTokenSchema,
    LoginSchema,
    MessageSchema,
    PasswordChangeSchema,
    RegisteredSchema,
    RegisterSchema,
    SessionOpenedSchema,
)
from app.auth.service import TokenPair
from app.core.api import (
    BEARER,
    REFRESH_COOKIE,
    Blueprint,
    authenticate,
    authenticate_refresh_cookie,
    current_user,
)

F = TypeVar("F", bound=Callable[..., Any])

bp = Blueprint("auth", __name__, url_prefix="/auth", description="Sessions and credentials.")

CSRF_HEADER = "X-CSRF-Token"
# A client on another origin cannot read the CSRF cookie, so it also gets the value here.
CSRF_HEADERS = {
    CSRF_HEADER: {
        "description": "Send it back in the CSRF header along with the refresh cookie.",
        "schema": {"type": "string"},
    }
}


@bp.after_request
def never_cache(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def email_key() -> str:
    """Key by the normalised e-mail in the body, so rotating client addresses buys nothing.

    Failed logins count against the account this way, and reset mails against the address.
    """
    body = request.get_json(silent=True)
    email = body.get("email") if isinstance(body, dict) else None
    return f"email:{email.strip().lower()}" if isinstance(email, str) else "email:-"


def login_failed(response: Response) -> bool:
    """Only failed attempts count against an account."""
    return response.status_code == HTTPStatus.UNAUTHORIZED


def refresh_required(view: F) -> F:
    """Require the refresh cookie (with its CSRF header outside tests)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        authenticate_refresh_cookie()
        return view(*args, **kwargs)

    return bp.secured(REFRESH_COOKIE)(wrapper)  # type: ignore[arg-type]


def access_or_refresh_required(view: F) -> F:
    """Accept the access token in the header, or else the refresh cookie with its CSRF header.

    The cookie path lets a browser whose access token has expired still end its session.
    """

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if "Authorization" in request.headers:
            authenticate(any_credential=False)
        else:
            authenticate_refresh_cookie()
        return view(*args, **kwargs)

    return bp.secured(BEARER, REFRESH_COOKIE)(wrapper)  # type: ignore[arg-type]


def send_refresh_cookie(refresh_token: str) -> None:
    """Set the refresh cookie (and its CSRF twin) on this request's response."""

    @after_this_request
    def set_cookie(response: Response) -> Response:
        # The cookies expire with the token, not after the library's one year.
        max_age = int(current_app.config["JWT_REFRESH_TOKEN_EXPIRES"].total_seconds())
        set_refresh_cookies(response, refresh_token, max_age=max_age)
        if current_app.config["JWT_COOKIE_CSRF_PROTECT"]:
            response.headers[CSRF_HEADER] = get_csrf_token(refresh_token)
        return response


@bp.post("/register")
@bp.limit("register")
@bp.arguments(RegisterSchema)
@bp.response(HTTPStatus.CREATED, RegisteredSchema, description="Registered with the role `user`")
@bp.errors(409)
def register(data: dict[str, Any]) -> dict[str, Any]:
    """Register a new user."""
    user = service.register_user(**data)
    return {"message": "User registered successfully", "user_id": user.id}


@bp.post("/login")
@bp.limit("login")
@bp.limit("login_account", key_func=email_key, deduct_when=login_failed)
@bp.arguments(LoginSchema)
@bp.response(HTTPStatus.OK, SessionOpenedSchema, headers=CSRF_HEADERS)
@bp.errors(401)
def login(data: dict[str, str]) -> Any:
    """Log in: access token in the body, refresh token in an HttpOnly cookie (path /auth).

    A wrong e-mail and a wrong password get the same 401. Failed attempts also count against
    the account, whatever address they come from.
    """
    user, result = service.login(data["email"], data["password"])
    if not isinstance(result, TokenPair):
        # Another step first (Api.amend documents its answer): as it is, with no cookie.
        return jsonify(result.as_response())
    send_refresh_cookie(result.refresh)
    return {"access_token": result.access, "user": user}


@bp.post("/refresh")
@bp.limit("login")
@refresh_required
@bp.response(HTTPStatus.OK, AccessTokenSchema, headers=CSRF_HEADERS)
def refresh() -> dict[str, str]:
    """Trade the refresh cookie for a new access token and a new refresh cookie.

    A refresh token used twice revokes its whole session.
    """
    claims = get_jwt()
    tokens = service.rotate_refresh_token(current_user.id, claims["sid"], claims["jti"])
    send_refresh_cookie(tokens.refresh)
    return {"access_token": tokens.access}


@bp.post("/logout")
@bp.limit("default")
@access_or_refresh_required
@bp.response(HTTPStatus.OK, MessageSchema)
def logout() -> dict[str, str]:
    """Log out: revoke the session and clear the refresh cookie."""
    service.logout(current_user.id, current_user.session_id)
    after_this_request(unset_cookies)
    return {"message": "Logged out successfully"}


def unset_cookies(response: Response) -> Response:
    unset_refresh_cookies(response)
    return response


@bp.post("/password")
@bp.limit("password_change")
@bp.session_required
@bp.arguments(PasswordChangeSchema)
@bp.response(HTTPStatus.OK, MessageSchema)
def change_password(data: dict[str, str]) -> dict[str, str]:
    """Change your password; your other sessions end, this one stays.

    A wrong current password is a 400.
    """
    account.change_password(current_user, current_user.session_id, **data)
    return {"message": "Password changed; your other sessions have been signed out"}
