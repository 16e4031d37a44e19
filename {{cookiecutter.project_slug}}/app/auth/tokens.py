"""Which user an access or refresh token acts as, read fresh from the database on each request."""

from typing import Any

from flask_jwt_extended import JWTManager

from app.auth import service
from app.errors import SessionEnded
from app.users.models import Actor


def register_token_callbacks(jwt: JWTManager) -> None:
    """Load each token's user, or refuse the token, with one query per request.

    Flask-JWT-Extended calls the user loader for every token it accepts, access and refresh
    alike (https://flask-jwt-extended.readthedocs.io/en/stable/automatic_user_loading.html),
    so revocation needs no blocklist callback of its own. An ended session raises
    SessionEnded, which app/errors.py answers as every domain error; an inactive account is
    None, which Flask-JWT-Extended answers with the user lookup error (app/errors.py).
    """

    @jwt.user_lookup_loader
    def load_user(_header: dict[str, Any], payload: dict[str, Any]) -> Actor | None:
        try:
            session_id, user_id = str(payload["sid"]), int(payload["sub"])
        except (KeyError, TypeError, ValueError):
            raise SessionEnded() from None
        return service.user_of_session(session_id, user_id)
