"""HTTP side of the auth module: bodies, cookies and status codes."""

from http import HTTPStatus

from flask import Response, current_app, jsonify, request
from flask_jwt_extended import get_csrf_token, get_jwt, unset_refresh_cookies

from app.modules.auth import service
from app.modules.auth.model import LoginSchema, RegisterSchema
from app.modules.users.model import UserSchema

CSRF_HEADER = "X-CSRF-Token"

_register = RegisterSchema()
_login = LoginSchema()
_user_summary = UserSchema(only=("id", "email", "name"))


def register() -> tuple[Response, int]:
    user = service.register_user(**_register.load(request.get_json()))
    return jsonify(message="User registered successfully", user_id=user.id), HTTPStatus.CREATED


def login() -> Response:
    data = _login.load(request.get_json())
    user, tokens = service.login(data["email"], data["password"])
    response = jsonify(access_token=tokens.access, user=_user_summary.dump(user))
    _set_refresh_cookie(response, tokens.refresh)
    return response


def refresh() -> Response:
    tokens = service.rotate_refresh_token(get_jwt())
    response = jsonify(access_token=tokens.access)
    _set_refresh_cookie(response, tokens.refresh)
    return response


def logout() -> Response:
    service.logout(get_jwt()["sid"])
    response = jsonify(message="Logged out successfully")
    unset_refresh_cookies(response)
    return response


def _set_refresh_cookie(response: Response, refresh_token: str) -> None:
    # Set by hand rather than with set_refresh_cookies so the cookie expires with the token.
    config = current_app.config
    attributes = {
        "max_age": int(config["JWT_REFRESH_TOKEN_EXPIRES"].total_seconds()),
        "secure": config["JWT_COOKIE_SECURE"],
        "samesite": config["JWT_COOKIE_SAMESITE"],
        "domain": config["JWT_COOKIE_DOMAIN"],
    }
    response.set_cookie(
        config["JWT_REFRESH_COOKIE_NAME"],
        refresh_token,
        httponly=True,
        path=config["JWT_REFRESH_COOKIE_PATH"],
        **attributes,
    )
    if config["JWT_COOKIE_CSRF_PROTECT"]:
        csrf = get_csrf_token(refresh_token)
        response.set_cookie(
            config["JWT_REFRESH_CSRF_COOKIE_NAME"],
            csrf,
            httponly=False,
            path=config["JWT_REFRESH_CSRF_COOKIE_PATH"],
            **attributes,
        )
        # A client on another origin cannot read that cookie, so it also gets the value here.
        response.headers[CSRF_HEADER] = csrf
