"""The rate limiter, and rate-limit keys beyond the client address."""

from flask import Response, request
from flask_limiter import Limiter


class ApiLimiter(Limiter):
    """Limiter that skips all of its per-request work for requests its filters exempt.

    Flask-Limiter consults the request filters, then still resolves exemptions, meta limits
    and its request context for a request it will not count; the probes need none of that.
    """

    def _check_request_limit(
        self, callable_name: str | None = None, in_middleware: bool = True
    ) -> None:
        if any(exempt() for exempt in self._request_filters):
            return
        super()._check_request_limit(callable_name, in_middleware)


def login_account_key() -> str:
    """Key failed logins by the normalised e-mail, so rotating addresses buys no extra guesses."""
    body = request.get_json(silent=True)
    email = body.get("email") if isinstance(body, dict) else None
    return f"login-account:{email.strip().lower()}" if isinstance(email, str) else "login-account:-"


def login_failed(response: Response) -> bool:
    """Only failed attempts count against an account."""
    return response.status_code == 401
