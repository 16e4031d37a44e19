"""Rate-limit keys beyond the client address."""

from flask import Response, request


def login_account_key() -> str:
    """Key failed logins by the normalised e-mail, so rotating addresses buys no extra guesses."""
    body = request.get_json(silent=True)
    email = body.get("email") if isinstance(body, dict) else None
    return f"login-account:{email.strip().lower()}" if isinstance(email, str) else "login-account:-"


def login_failed(response: Response) -> bool:
    """Only failed attempts count against an account."""
    return response.status_code == 401
