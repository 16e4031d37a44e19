"""Which user an access or refresh token belongs to, and whether its session still counts."""

from typing import Any

from flask import g
from flask_jwt_extended import JWTManager

from app.auth import service
from app.users.models import User


def register_token_callbacks(jwt: JWTManager) -> None:
    """Reject tokens of revoked sessions and load each token's user, in one query per request.

    Flask-JWT-Extended's documented callbacks (https://flask-jwt-extended.readthedocs.io/en/
    stable/api.html#flask_jwt_extended.JWTManager.token_in_blocklist_loader).
    """

    @jwt.token_in_blocklist_loader
    def session_revoked(_header: dict[str, Any], payload: dict[str, Any]) -> bool:
        return _token_user(payload) is None

    @jwt.user_lookup_loader
    def load_user(_header: dict[str, Any], payload: dict[str, Any]) -> User | None:
        user = _token_user(payload)
        return user if user is not None and user.is_active else None


def _token_user(payload: dict[str, Any]) -> User | None:
    """The user of the token's live session, or None.

    Both callbacks need it for the same token in one request: whichever asks first runs the
    query and leaves the answer in `g`, and the other takes it from there.
    """
    answered = g.pop("token_user", None)
    if answered is not None and answered[0] == payload.get("jti"):
        return answered[1]
    try:
        user = service.user_of_session(str(payload["sid"]), int(payload["sub"]))
    except (KeyError, TypeError, ValueError):
        user = None
    g.token_user = (payload.get("jti"), user)
    return user
