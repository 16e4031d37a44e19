"""The rate limiter, and rate-limit keys beyond the client address."""

import time
from typing import Any

from flask import Flask, Response, request
from flask_limiter import Limiter
from limits.storage import MemoryStorage
from limits.strategies import STRATEGIES

SWEEP_INTERVAL = 1.0  # seconds between sweeps of expired in-memory counters


class SweepingMemoryStorage(MemoryStorage):
    """limits' in-memory storage, sweeping expired counters from the calling thread.

    The library's storage starts a timer thread 10 ms after a counter changes whenever none is
    running: under load, a worker starts a thread about a hundred times a second, which cost
    about a tenth of each request here. A counter past its window is already dropped when it is
    next read; the sweep only frees counters nobody reads again, and once a second does that.
    """

    def __init__(self, uri: str | None = None, **options: Any) -> None:
        super().__init__(uri, **options)
        self._next_sweep = time.monotonic() + SWEEP_INTERVAL

    # Replaces the base class's private scheduler, which its incr/decr/acquire call.
    def _MemoryStorage__schedule_expiry(self) -> None:  # noqa: N802 - the mangled name
        now = time.monotonic()
        if now >= self._next_sweep:
            self._next_sweep = now + SWEEP_INTERVAL
            self._MemoryStorage__expire_events()  # type: ignore[attr-defined]


class ApiLimiter(Limiter):
    """Limiter with a cheaper in-memory storage, and no per-request work for exempt requests.

    Flask-Limiter consults the request filters, then still resolves exemptions, meta limits
    and its request context for a request it will not count; the probes need none of that.
    """

    def init_app(self, app: Flask) -> None:
        super().init_app(app)
        if type(self._storage) is MemoryStorage:  # memory:// (Redis and others stay as they are)
            self._storage = SweepingMemoryStorage()
            self._limiter = STRATEGIES[self._strategy](self._storage)

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
