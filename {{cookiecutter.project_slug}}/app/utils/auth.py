"""Authentication glue: who the token belongs to, whether it still counts, and role checks."""

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import g, request
from flask_jwt_extended import JWTManager, current_user, jwt_required, verify_jwt_in_request

from app.database.schema import User
from app.errors.domain import PermissionDenied
from app.modules.auth import service as auth_service

F = TypeVar("F", bound=Callable[..., Any])

# Access tokens travel only in the Authorization header; refresh tokens only in their cookie.
login_required = jwt_required(locations=["headers"])
refresh_required = jwt_required(refresh=True, locations=["cookies"])


def logout_required(view: F) -> F:
    """Accept the access token in the header, or else the refresh cookie with its CSRF header.

    The cookie path lets a browser whose access token has expired still end its session.
    """

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if "Authorization" in request.headers:
            verify_jwt_in_request(locations=["headers"])
        else:
            verify_jwt_in_request(refresh=True, locations=["cookies"])
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def role_required(role: str) -> Callable[[F], F]:
    """Require a valid access token whose user (read fresh from the database) has `role`."""

    def decorator(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if current_user.role.name != role:
                raise PermissionDenied()
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


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
        user = auth_service.user_of_session(str(payload["sid"]), int(payload["sub"]))
    except (KeyError, TypeError, ValueError):
        user = None
    g.token_user = (payload.get("jti"), user)
    return user
