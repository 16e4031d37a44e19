"""Running the app in real processes (gunicorn, workers) against the test database, and waiting
on them: every wait polls and returns as soon as its condition holds."""

import os
import socket
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from tests.conftest import DATABASE, capability_env

ROOT = Path(__file__).resolve().parents[1]
DEADLINE = 30  # seconds


def production_settings(**extra: str) -> dict[str, str]:
    """The environment of a production process on the test database, with what each capability
    needs in production (its PRODUCTION_ENV), plus `extra`."""
    return {
        **os.environ,
        **capability_env("PRODUCTION_ENV"),
        "FLASK_ENV": "production",
        "FLASK_APP": "wsgi:app",
        "SECRET_KEY": "s" * 32,
        "JWT_SECRET_KEY": "j" * 32,
        "DATABASE_URL": DATABASE.render_as_string(hide_password=False),
        "RATELIMIT_STORAGE_URI": "memory://",
        "LOG_LEVEL": "WARNING",
        **extra,
    }


def wait_for(condition: Callable[[], object], what: str, deadline: float = DEADLINE) -> None:
    ends = time.monotonic() + deadline
    while not condition():
        assert time.monotonic() < ends, f"timed out waiting for {what}"
        time.sleep(0.1)


def answers(url: str) -> bool:
    """Whether `url` answers 200 now."""
    try:
        with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 - loopback
            return bool(response.status == 200)
    except OSError:
        return False


def children(pid: int) -> list[int]:
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def free_port() -> int:
    """A port on loopback that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
