"""HTTP side of the auth module: bodies, cookies and status codes."""

from http import HTTPStatus

from flask import Response, current_app, jsonify, request
from flask_jwt_extended import (
    current_user,
    get_csrf_token,
    get_jwt,
    set_refresh_cookies,
    unset_refresh_cookies,
)

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
    claims = get_jwt()
    tokens = service.rotate_refresh_token(current_user.id, claims["sid"], claims["jti"])
    response = jsonify(access_token=tokens.access)
    _set_refresh_cookie(response, tokens.refresh)
    return response


def logout() -> Response:
    service.logout(get_jwt()["sid"])
    response = jsonify(message="Logged out successfully")
    unset_refresh_cookies(response)
    return response


def _set_refresh_cookie(response: Response, refresh_token: str) -> None:
    # The cookie (and its CSRF twin) expires with the token, not after the library's one year.
    max_age = int(current_app.config["JWT_REFRESH_TOKEN_EXPIRES"].total_seconds())
    set_refresh_cookies(response, refresh_token, max_age=max_age)
    if current_app.config["JWT_COOKIE_CSRF_PROTECT"]:
        # A client on another origin cannot read the CSRF cookie, so it also gets the value here.
        response.headers[CSRF_HEADER] = get_csrf_token(refresh_token)
