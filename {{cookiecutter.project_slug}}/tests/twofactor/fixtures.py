"""Two-factor sign-in's fixtures, for the whole suite (tests/conftest.py loads this module)."""

import pytest

from app.twofactor import service as twofactor_service
from app.users.models import User
from tests.twofactor.helpers import FERNET_KEY, Clock, Enrolled, enrol

PRODUCTION_ENV = {"TOTP_ENCRYPTION_KEYS": FERNET_KEY}


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The two-factor service's clock, stopped at the start of a time step."""
    clock = Clock()
    monkeypatch.setattr(twofactor_service, "utcnow", clock)
    return clock


@pytest.fixture
def enrolled(user: User, clock: Clock) -> Enrolled:
    """`user` with two-factor sign-in on; its authenticator and recovery codes."""
    return enrol(user, clock)
