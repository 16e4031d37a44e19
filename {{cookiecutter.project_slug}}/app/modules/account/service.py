"""Account use cases: change the password, reset it by e-mail, verify the e-mail address.

Tokens are `secrets.token_urlsafe(32)`, stored only as their SHA-256, single use, and a new
one replaces any older one of the same purpose. Every function takes `now` so tests can move
the clock; callers leave it out.
"""

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app

from app.core.mail import mailer
from app.database.schema import AccountToken, User, utcnow
from app.errors.domain import FeatureDisabled, IncorrectPassword, InvalidAccountToken
from app.extensions import db
from app.modules.account import mails, repository
from app.modules.auth import repository as auth_repository
from app.modules.users import repository as user_repository

PURPOSE_RESET = "reset"
PURPOSE_VERIFY = "verify"


def change_password(user: User, session_id: str, current_password: str, new_password: str) -> None:
    """Replace the password; every other session of the user ends, session `session_id` stays."""
    if not user.check_password(current_password):
        raise IncorrectPassword()
    user.set_password(new_password, current_app.config["PASSWORD_HASH_METHOD"])
    auth_repository.revoke_user_sessions(user.id, keep=session_id)
    repository.delete_tokens(user.id, PURPOSE_RESET)
    db.session.commit()


def request_password_reset(email: str, now: datetime | None = None) -> None:
    """Mail a reset link to `email` if it names an active account; silent either way."""
    if not current_app.config["PASSWORD_RESET_ENABLED"]:
        raise FeatureDisabled()
    user = user_repository.get_by_email(email)
    _mail_token(user if user is not None and user.is_active else None, PURPOSE_RESET, now)


def reset_password(token: str, new_password: str, now: datetime | None = None) -> None:
    """Set a new password with a mailed token; every session of the account ends."""
    if not current_app.config["PASSWORD_RESET_ENABLED"]:
        raise FeatureDisabled()
    now = now or utcnow()
    user = _redeem(token, PURPOSE_RESET, now)
    user.set_password(new_password, current_app.config["PASSWORD_HASH_METHOD"])
    # The link reached the owner's mailbox: that proves the address too.
    user.email_verified_at = user.email_verified_at or now
    auth_repository.revoke_user_sessions(user.id)
    db.session.commit()


def request_verification(email: str, now: datetime | None = None) -> None:
    """Mail a verification link to `email` if it names an active, unverified account."""
    user = user_repository.get_by_email(email)
    wanted = user is not None and user.is_active and user.email_verified_at is None
    _mail_token(user if wanted else None, PURPOSE_VERIFY, now)


def verify_email(token: str, now: datetime | None = None) -> None:
    """Mark the address of the token's account as verified."""
    now = now or utcnow()
    user = _redeem(token, PURPOSE_VERIFY, now)
    user.email_verified_at = user.email_verified_at or now
    db.session.commit()


def send_verification(user: User, now: datetime | None = None) -> None:
    """Mail a verification link to a newly registered `user`."""
    _mail_token(user, PURPOSE_VERIFY, now)


def purge_expired_tokens(now: datetime | None = None) -> int:
    """Delete mailed tokens past their expiry; return how many went."""
    purged = repository.delete_expired(now or utcnow())
    db.session.commit()
    return purged


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _mail_token(user: User | None, purpose: str, now: datetime | None) -> None:
    """Store a new token for `user` and queue its mail; without a user, spend the same work.

    The mail is only queued (app/core/mail.py): no SMTP round trip makes an existing account's
    answer slower than an unknown one's.
    """
    token = secrets.token_urlsafe(32)
    token_hash = hash_token(token)
    if user is None:
        return
    now = now or utcnow()
    lifetime = _lifetime(purpose)
    repository.delete_tokens(user.id, purpose)
    repository.add(
        AccountToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=token_hash,
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    db.session.commit()
    compose = mails.password_reset if purpose == PURPOSE_RESET else mails.email_verification
    mailer.send(compose(user, token, lifetime))


def _redeem(token: str, purpose: str, now: datetime) -> User:
    """Use up `token`: its active user, or the one error for used, expired and unknown tokens."""
    found = repository.live_token(hash_token(token), purpose, now)
    # Deleting the row is the claim: of two requests racing with one token, one deletes it.
    if found is None or not repository.claim(found.id):
        raise InvalidAccountToken()
    user = user_repository.get_by_id(found.user_id)
    if user is None or not user.is_active:
        raise InvalidAccountToken()
    return user


def _lifetime(purpose: str) -> timedelta:
    name = "PASSWORD_RESET" if purpose == PURPOSE_RESET else "EMAIL_VERIFICATION"
    lifetime: timedelta = current_app.config[f"{name}_TOKEN_EXPIRES"]
    return lifetime
