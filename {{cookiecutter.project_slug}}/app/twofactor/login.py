"""/auth/login/2fa: the second step of a login with two-factor sign-in, on the core's /auth
blueprint (its cookies, CSRF header and cache rules)."""

from http import HTTPStatus
from typing import Any

from flask import request

from app.auth.routes import CSRF_HEADERS, bp, send_refresh_cookie
from app.auth.schemas import SessionOpenedSchema
from app.twofactor import service
from app.twofactor.schemas import SecondStepSchema


def challenge_key() -> str:
    """Key by the login challenge in the body: its attempts count whoever sends them."""
    body = request.get_json(silent=True)
    challenge = body.get("challenge") if isinstance(body, dict) else None
    if not isinstance(challenge, str):
        return "challenge:-"
    return f"challenge:{service.hash_challenge(challenge)}"


@bp.post("/login/2fa")
@bp.limit("login_2fa")
@bp.limit("login_2fa_challenge", key_func=challenge_key)
@bp.arguments(SecondStepSchema)
@bp.response(HTTPStatus.OK, SessionOpenedSchema, headers=CSRF_HEADERS)
@bp.errors(401)
def login_second_step(data: dict[str, str]) -> dict[str, Any]:
    """Finish a login with two-factor sign-in: its challenge and a code or recovery code.

    Tokens as /auth/login gives them. A code works once; a recovery code too. An unknown,
    expired or used challenge and a wrong code get the same 401; each challenge allows a few
    attempts (RATELIMIT_LOGIN_2FA_CHALLENGE), each client some more (RATELIMIT_LOGIN_2FA).
    """
    user, tokens = service.complete_login(data["challenge"], data["code"])
    send_refresh_cookie(tokens.refresh)
    return {"access_token": tokens.access, "user": user}
