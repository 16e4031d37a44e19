"""Rate-limit keys beyond the client address."""

from flask import Response, request


def email_key() -> str:
    """Key by the normalised e-mail in the body, so rotating client addresses buys nothing.

    Failed logins count against the account this way, and reset mails against the address.
    Each route counts its own limits, so one key serves them all.
    """
    body = request.get_json(silent=True)
    email = body.get("email") if isinstance(body, dict) else None
    return f"email:{email.strip().lower()}" if isinstance(email, str) else "email:-"


def login_failed(response: Response) -> bool:
    """Only failed attempts count against an account."""
    return response.status_code == 401
