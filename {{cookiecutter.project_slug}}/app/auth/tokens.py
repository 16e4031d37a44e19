"""Which user an access or refresh token acts as, read fresh from the database on each request."""

from typing import Any

import jwt
from flask import current_app
from flask_jwt_extended import JWTManager
from flask_jwt_extended.exceptions import UserLookupError, WrongTokenError

from app.auth import service
from app.errors import SessionEnded
from app.users.models import Actor


def actor_of_access_token(token: str) -> Actor:
    """Verify an access token from the Authorization header and load its user.

    One PyJWT decode with Flask-JWT-Extended's own settings (key, algorithms, leeway, audience,
    issuer, `sub` check), where the library's header check decodes the token three times; an
    expiry is required. Failures raise the exceptions the library raises, which its error
    callbacks answer (app/errors.py). The refresh cookie still goes through the library.
    """
    config = current_app.config
    audience = config["JWT_DECODE_AUDIENCE"]
    try:
        claims = jwt.decode(
            token,
            config["JWT_SECRET_KEY"],
            algorithms=config["JWT_DECODE_ALGORITHMS"],
            audience=audience,
            issuer=config["JWT_DECODE_ISSUER"],
            leeway=config["JWT_DECODE_LEEWAY"],
            options={
                "require": ["exp"],
                "verify_aud": audience is not None,
                "verify_sub": config["JWT_VERIFY_SUB"],
            },
        )
    except jwt.ExpiredSignatureError as error:
        # The library's expired-token callback takes the token's header and claims.
        error.jwt_header = jwt.get_unverified_header(token)  # type: ignore[attr-defined]
        error.jwt_data = jwt.decode(token, options={"verify_signature": False})  # type: ignore[attr-defined]
        raise
    if claims.get("type", "access") != "access":
        raise WrongTokenError("Only non-refresh tokens are allowed")
    actor = actor_of_claims(claims)
    if actor is None:
        header = jwt.get_unverified_header(token)
        raise UserLookupError(f"user_lookup returned None for {claims['sub']}", header, claims)
    return actor


def actor_of_claims(claims: dict[str, Any]) -> Actor | None:
    """The user of a verified token's session; None if the account is inactive.

    Raises SessionEnded when the session is revoked or expired, or the claims name none.
    """
    try:
        session_id, user_id = str(claims["sid"]), int(claims["sub"])
    except (KeyError, TypeError, ValueError):
        raise SessionEnded() from None
    return service.user_of_session(session_id, user_id)


def register_token_callbacks(jwt_manager: JWTManager) -> None:
    """Load the refresh cookie's user with the same one query per request.

    Flask-JWT-Extended calls the user loader for every token it accepts
    (https://flask-jwt-extended.readthedocs.io/en/stable/automatic_user_loading.html), so
    revocation needs no blocklist callback of its own. An ended session raises SessionEnded,
    which app/errors.py answers as every domain error; an inactive account is None, which
    Flask-JWT-Extended answers with the user lookup error (app/errors.py).
    """

    @jwt_manager.user_lookup_loader
    def load_user(_header: dict[str, Any], payload: dict[str, Any]) -> Actor | None:
        return actor_of_claims(payload)
