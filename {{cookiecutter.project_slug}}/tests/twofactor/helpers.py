"""Two-factor sign-in in tests: a clock the service reads, and an account with 2FA on."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pyotp

from app.twofactor import service
from app.users.models import User
from tests.helpers import PASSWORD

# A Fernet key (32 bytes, url-safe base64) for TOTP_ENCRYPTION_KEYS.
FERNET_KEY = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
# The start of a 30-second step, so a test knows which step each moment falls in.
START = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


class Clock:
    """What the two-factor service takes for now; `advance` moves it."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Enrolled:
    """An account with two-factor sign-in on, and what its owner keeps."""

    user: User
    totp: pyotp.TOTP
    recovery_codes: list[str]
    clock: Clock

    def code(self, steps: int = 0) -> str:
        """The authenticator's code at the clock's time, `steps` steps later."""
        return self.totp.at(self.clock.now, counter_offset=steps)


def enrol(user: User, clock: Clock) -> Enrolled:
    """Turn two-factor sign-in on for `user` through the service; the code of the clock's
    step is spent doing so, so the clock moves on one step."""
    enrolment = service.start_setup(user.id, PASSWORD)
    totp = pyotp.TOTP(enrolment.secret)
    codes = service.enable(user.id, totp.at(clock.now))
    clock.advance(seconds=30)
    return Enrolled(user=user, totp=totp, recovery_codes=codes, clock=clock)
