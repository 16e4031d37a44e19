"""Account use cases: change the password, reset it by e-mail, verify the e-mail address.

Tokens are `secrets.token_urlsafe(32)`, stored only as their SHA-256, single use, and a new
one replaces any older one of the same purpose. Every function takes `now` so tests can move
the clock; callers leave it out.
"""

import hashlib
import secrets
from datetime import datetime

from flask import current_app

from app.auth import mails, repository
from app.auth.models import AccountToken
from app.core.database import utcnow
from app.core.mail import mailer
from app.errors import FeatureDisabled, IncorrectPassword, InvalidAccountToken
from app.extensions import db
from app.users import service as users
from app.users.models import Actor, User

PURPOSE_RESET = "reset"
PURPOSE_VERIFY = "verify"


def change_password(
    actor: Actor, session_id: str, current_password: str, new_password: str
) -> None:
    """Replace the password; every other session of the user ends, session `session_id` stays."""
    user = users.account_of(actor)
    if not user.check_password(current_password):
        raise IncorrectPassword()
    user.set_password(new_password, current_app.config["PASSWORD_HASH_METHOD"])
    repository.revoke_sessions(user_id=user.id, keep=session_id)
    repository.delete_account_tokens(user.id, PURPOSE_RESET)
    db.session.commit()


def request_password_reset(email: str, now: datetime | None = None) -> None:
    """Mail a reset link to `email` if it names an active account; silent either way."""
    if not current_app.config["PASSWORD_RESET_ENABLED"]:
        raise FeatureDisabled()
    user = users.find_user(email)
    if user is not None and user.is_active:
        _mail_token(user, PURPOSE_RESET, now)


def reset_password(token: str, new_password: str, now: datetime | None = None) -> None:
    """Set a new password with a mailed token; every session of the account ends."""
    if not current_app.config["PASSWORD_RESET_ENABLED"]:
        raise FeatureDisabled()
    now = now or utcnow()
    user = _redeem(token, PURPOSE_RESET, now)
    user.set_password(new_password, current_app.config["PASSWORD_HASH_METHOD"])
    # The link reached the owner's mailbox: that proves the address too.
    user.email_verified_at = user.email_verified_at or now
    repository.revoke_sessions(user_id=user.id)
    db.session.commit()


def request_verification(email: str, now: datetime | None = None) -> None:
    """Mail a verification link to `email` if it names an active, unverified account."""
    user = users.find_user(email)
    if user is not None and user.is_active and user.email_verified_at is None:
        _mail_token(user, PURPOSE_VERIFY, now)


def verify_email(token: str, now: datetime | None = None) -> None:
    """Mark the address of the token's account as verified."""
    now = now or utcnow()
    user = _redeem(token, PURPOSE_VERIFY, now)
    user.email_verified_at = user.email_verified_at or now
    db.session.commit()


def send_verification(user: User, now: datetime | None = None) -> None:
    """Mail a verification link to a newly registered `user`."""
    _mail_token(user, PURPOSE_VERIFY, now)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _mail_token(user: User, purpose: str, now: datetime | None) -> None:
    """Store a new token for `user`, replacing older ones of `purpose`, and queue its mail.

    Only known accounts get here, so the database work differs from an unknown address's:
    the answer's timing can tell them apart (see the README, "E-mail").
    """
    token = secrets.token_urlsafe(32)
    now = now or utcnow()
    name = "PASSWORD_RESET" if purpose == PURPOSE_RESET else "EMAIL_VERIFICATION"
    lifetime = current_app.config[f"{name}_TOKEN_EXPIRES"]
    repository.delete_account_tokens(user.id, purpose)
    repository.add(
        AccountToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=hash_token(token),
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    db.session.commit()
    compose = mails.password_reset if purpose == PURPOSE_RESET else mails.email_verification
    mailer.send(compose(user, token, lifetime))


def _redeem(token: str, purpose: str, now: datetime) -> User:
    """Use up `token`: its active user, or the one error for used, expired and unknown tokens."""
    found = repository.live_account_token(hash_token(token), purpose, now)
    # Deleting the row is the claim: of two requests racing with one token, one deletes it.
    if found is None or not repository.claim_account_token(found.id):
        raise InvalidAccountToken()
    user = users.get_user(found.user_id)
    if user is None or not user.is_active:
        raise InvalidAccountToken()
    return user
