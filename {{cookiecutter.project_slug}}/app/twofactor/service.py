"""Two-factor use cases: set up an authenticator, turn it on (with recovery codes), turn it off,
new recovery codes, an admin's reset, and the second step of a login.

A TOTP code (RFC 6238, 30-second steps) is accepted one step either side of now, and once: the
step of the last code used is stored, and a code of that step or an earlier one is spent. The
secret is stored encrypted (crypto.py); recovery codes and challenges only as their SHA-256.
Every function that reads the clock takes `now` so tests can move it; callers leave it out.
"""

import hashlib
import io
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

import pyotp
import segno
from flask import current_app
from pyotp.exceptions import OTPVerificationError

from app.auth import service as auth
from app.core import events
from app.core.database import utcnow
from app.errors import IncorrectPassword, UserNotFound
from app.extensions import db
from app.twofactor import crypto, repository
from app.twofactor.errors import (
    IncorrectCode,
    IncorrectPasswordOrCode,
    InvalidLoginChallenge,
    TwoFactorAlreadyEnabled,
    TwoFactorNotEnabled,
    TwoFactorNotSetUp,
)
from app.twofactor.models import LoginChallenge, RecoveryCode, TotpCredential
from app.users import service as users
from app.users.models import User

# The security events these use cases record (app/core/events.py).
TWO_FACTOR_ENABLED = events.action("account.two_factor_enabled")
TWO_FACTOR_DISABLED = events.action("account.two_factor_disabled")
TWO_FACTOR_RESET = events.action("account.two_factor_reset")
RECOVERY_CODES_REGENERATED = events.action("account.recovery_codes_regenerated")
RECOVERY_CODE_USED = events.action("auth.recovery_code_used")
TWO_FACTOR_FAILED = events.action("auth.two_factor_failed")

RECOVERY_CODE_COUNT = 10
# 16 hex digits (64 bits) each: too many to try even against a stolen copy of their hashes.
RECOVERY_CODE_BYTES = 8
# One step either side: an authenticator whose clock is up to 30 seconds off still works.
VALID_WINDOW = 1
TOTP_CODE = re.compile(r"\d{6}")
TOTP = "totp"
RECOVERY_CODE = "recovery_code"


@dataclass(frozen=True)
class Enrolment:
    secret: str
    uri: str
    qr_svg: str


@dataclass(frozen=True)
class Status:
    enabled: bool
    recovery_codes_left: int


@dataclass(frozen=True)
class Challenge:
    """A login's answer while its second step is due (auth.NextStep)."""

    token: str
    expires_in: int

    def as_response(self) -> dict[str, object]:
        return {"two_factor_required": True, "challenge": self.token, "expires_in": self.expires_in}


def status(user_id: int) -> Status:
    """Whether two-factor sign-in is on for the user, and how many recovery codes are left."""
    return Status(repository.is_enabled(user_id), repository.count_recovery_codes(user_id))


def is_enabled(user_id: int) -> bool:
    """Whether logins of the user need a code."""
    return repository.is_enabled(user_id)


def start_setup(user_id: int, password: str) -> Enrolment:
    """Give the account a new, pending secret to scan; a second setup replaces the first."""
    user = _account(user_id)
    if not user.check_password(password):
        raise IncorrectPassword()
    if repository.is_enabled(user_id):
        raise TwoFactorAlreadyEnabled()
    secret = pyotp.random_base32()
    repository.delete_credential(user_id)
    repository.add(TotpCredential(user_id=user_id, secret=crypto.encrypt(secret)))
    db.session.commit()
    uri = pyotp.TOTP(secret).provisioning_uri(
        name=user.email, issuer_name=current_app.config["API_TITLE"]
    )
    svg = io.BytesIO()
    segno.make(uri, error="m").save(svg, kind="svg", scale=4, xmldecl=False)
    return Enrolment(secret=secret, uri=uri, qr_svg=svg.getvalue().decode())


def enable(user_id: int, code: str, now: datetime | None = None) -> list[str]:
    """Turn two-factor sign-in on with a code from the pending secret; the recovery codes."""
    found = repository.credential(user_id)
    if found is None:
        raise TwoFactorNotSetUp()
    if found.enabled_at is not None:
        raise TwoFactorAlreadyEnabled()
    now = now or utcnow()
    if not _spend_totp(found, code, now):
        raise IncorrectCode()
    found.enabled_at = now
    codes = _new_recovery_codes(user_id)
    events.record(TWO_FACTOR_ENABLED, actor_id=user_id, target=user_id)
    db.session.commit()
    return codes


def disable(user_id: int, password: str, code: str, now: datetime | None = None) -> None:
    """Turn two-factor sign-in off with the password and a code or recovery code; every
    session of the account ends."""
    method = _confirm(user_id, password, code, now or utcnow())
    repository.delete_user_data(user_id)
    auth.end_sessions(user_id)
    events.record(
        TWO_FACTOR_DISABLED,
        actor_id=user_id,
        target=user_id,
        details={"method": method},
    )
    db.session.commit()


def regenerate_recovery_codes(
    user_id: int, password: str, code: str, now: datetime | None = None
) -> list[str]:
    """Replace the recovery codes with ten new ones; the old ones stop working."""
    method = _confirm(user_id, password, code, now or utcnow())
    repository.delete_recovery_codes(user_id)
    codes = _new_recovery_codes(user_id)
    events.record(
        RECOVERY_CODES_REGENERATED,
        actor_id=user_id,
        target=user_id,
        details={"method": method},
    )
    db.session.commit()
    return codes


def reset(actor_id: int, user_id: int) -> None:
    """Turn off two-factor sign-in of user `user_id` for its owner, who lost the authenticator
    and the recovery codes (an admin's use case); every session of the account ends."""
    _account(user_id)
    if repository.credential(user_id) is None:
        raise TwoFactorNotEnabled()
    repository.delete_user_data(user_id)
    auth.end_sessions(user_id)
    events.record(TWO_FACTOR_RESET, actor_id=actor_id, target=user_id)
    db.session.commit()


def begin_login(user_id: int, now: datetime | None = None) -> Challenge:
    """A new challenge for the login's second step; it replaces the user's earlier ones.

    Committed by the caller's login.
    """
    now = now or utcnow()
    lifetime = current_app.config["TWO_FACTOR_CHALLENGE_EXPIRES"]
    token = secrets.token_urlsafe(32)
    repository.delete_challenges(user_id)
    repository.add(
        LoginChallenge(
            user_id=user_id,
            challenge_hash=hash_challenge(token),
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    return Challenge(token=token, expires_in=int(lifetime.total_seconds()))


def complete_login(
    challenge: str, code: str, now: datetime | None = None
) -> tuple[User, auth.TokenPair]:
    """The second step: a login's challenge and a code (or recovery code) open the session.

    The account must still be active. Any failure is the same error; it is recorded and
    committed before the error.
    """
    user_id, method = _use_challenge(challenge, code, now or utcnow())
    user = users.get_user(user_id)
    if user is None or not user.is_active:
        db.session.rollback()
        raise InvalidLoginChallenge()
    return user, auth.open_session(user, details={"second_factor": method})


def _use_challenge(challenge: str, code: str, now: datetime) -> tuple[int, str]:
    """Use up `challenge` with a code or recovery code: the user it was issued to, and which
    kind of code it was."""
    found = repository.live_challenge(hash_challenge(challenge), now)
    if found is None:
        events.record(TWO_FACTOR_FAILED, details={"reason": "challenge"})
        db.session.commit()
        raise InvalidLoginChallenge()
    credential = repository.credential(found.user_id)
    method = _spend_code(credential, code, now) if credential is not None else None
    # Deleting the row is the claim: of two requests racing with one challenge, one deletes it.
    if method is None or not repository.claim_challenge(found.id):
        db.session.rollback()
        events.record(TWO_FACTOR_FAILED, target=found.user_id, details={"reason": "code"})
        db.session.commit()
        raise InvalidLoginChallenge()
    return found.user_id, method


def rotate_key() -> int:
    """Encrypt every stored secret with the first of TOTP_ENCRYPTION_KEYS; how many there are."""
    credentials = repository.all_credentials()
    for credential in credentials:
        credential.secret = crypto.reencrypt(credential.secret)
    db.session.commit()
    return len(credentials)


def hash_challenge(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@users.user_deleting.connect
def _forget_user(user_id: int) -> None:
    repository.delete_user_data(user_id)


@auth.password_verified.connect
def _second_step(user: User) -> Challenge | None:
    """A login of a user with two-factor sign-in on waits for its code: no session yet."""
    return begin_login(user.id) if is_enabled(user.id) else None


def _account(user_id: int) -> User:
    user = users.get_user(user_id)
    if user is None:
        raise UserNotFound()
    return user


def _confirm(user_id: int, password: str, code: str, now: datetime) -> str:
    """Check the password and spend a code or recovery code; which kind it was."""
    user = _account(user_id)
    credential = repository.credential(user_id)
    if credential is None or credential.enabled_at is None:
        raise TwoFactorNotEnabled()
    password_ok = user.check_password(password)
    method = _spend_code(credential, code, now) if password_ok else None
    if method is None:
        db.session.rollback()
        raise IncorrectPasswordOrCode()
    return method


def _spend_code(credential: TotpCredential, code: str, now: datetime) -> str | None:
    """Spend `code`, a TOTP code or else a recovery code, of an enabled credential; its kind,
    or None if it is wrong or spent."""
    if credential.enabled_at is None:
        return None
    code = code.strip()
    if TOTP_CODE.fullmatch(code):
        return TOTP if _spend_totp(credential, code, now) else None
    left_before = repository.count_recovery_codes(credential.user_id)
    if not repository.claim_recovery_code(credential.user_id, _hash_recovery_code(code)):
        return None
    events.record(
        RECOVERY_CODE_USED,
        actor_id=credential.user_id,
        target=credential.user_id,
        details={"codes_left": left_before - 1},
    )
    return RECOVERY_CODE


def _spend_totp(credential: TotpCredential, code: str, now: datetime) -> bool:
    totp = pyotp.TOTP(crypto.decrypt(credential.secret))
    try:
        step = totp.verify_and_get_timecode(code.strip(), for_time=now, valid_window=VALID_WINDOW)
    except OTPVerificationError:
        return False
    return repository.claim_step(credential.user_id, step)


def _new_recovery_codes(user_id: int) -> list[str]:
    """Store ten new recovery codes (hashed) for the user; the codes, to show once."""
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        digits = secrets.token_hex(RECOVERY_CODE_BYTES)
        codes.append("-".join(digits[i : i + 4] for i in range(0, len(digits), 4)))
    for code in codes:
        repository.add(RecoveryCode(user_id=user_id, code_hash=_hash_recovery_code(code)))
    return codes


def _hash_recovery_code(code: str) -> str:
    """The SHA-256 of the code as typed in any case, with or without its dashes and spaces."""
    normal = re.sub(r"[\s-]", "", code).lower()
    return hashlib.sha256(normal.encode()).hexdigest()
