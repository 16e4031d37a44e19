"""HTTP side of the account module: password change, reset and e-mail verification."""

from http import HTTPStatus

from flask import Response, jsonify, request
from flask_jwt_extended import current_user, get_jwt

from app.modules.account import service
from app.modules.account.model import (
    EmailSchema,
    PasswordChangeSchema,
    PasswordResetSchema,
    TokenSchema,
)

# The same answer whether or not the address has an account.
RESET_REQUESTED = "If an account uses this address, a link to reset its password is on its way"
VERIFICATION_REQUESTED = "If an unverified account uses this address, a new link is on its way"

_password_change = PasswordChangeSchema()
_email = EmailSchema()
_token = TokenSchema()
_reset = PasswordResetSchema()


def change_password() -> Response:
    data = _password_change.load(request.get_json())
    service.change_password(current_user, get_jwt()["sid"], **data)
    return jsonify(message="Password changed; your other sessions have been signed out")


def request_password_reset() -> tuple[Response, int]:
    service.request_password_reset(_email.load(request.get_json())["email"])
    return jsonify(message=RESET_REQUESTED), HTTPStatus.ACCEPTED


def confirm_password_reset() -> Response:
    service.reset_password(**_reset.load(request.get_json()))
    return jsonify(message="Password reset; log in with the new password")


def request_verification() -> tuple[Response, int]:
    service.request_verification(_email.load(request.get_json())["email"])
    return jsonify(message=VERIFICATION_REQUESTED), HTTPStatus.ACCEPTED


def confirm_verification() -> Response:
    service.verify_email(**_token.load(request.get_json()))
    return jsonify(message="Email address verified")
