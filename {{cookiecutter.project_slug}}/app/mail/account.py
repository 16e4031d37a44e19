"""Account e-mails: reset a forgotten password by mail, and verify the e-mail address.

Asking for a link only adds a row to the outbox, for any address: a known and an unknown one
cost the same work, and the answer never waits on SMTP. The sender later calls the composers
below, which look the address up and, for an account that should get the link, issue its token
then. Tokens are `secrets.token_urlsafe(32)`, stored only as their SHA-256, single use, and a
new one replaces any older one of the same purpose. Every function takes `now` so tests can move
the clock; callers leave it out. The receivers at the end take part in the core's use cases
(registration, login, a new password, purges, a deleted account) through their signals.
"""

import hashlib
import secrets
from datetime import datetime
from email.message import EmailMessage

from flask import current_app

from app.auth import account
from app.auth import service as auth
from app.core import events
from app.core.database import utcnow
from app.extensions import db
from app.mail import links, repository
from app.mail import service as outbox
from app.mail.errors import EmailNotVerified, FeatureDisabled, InvalidAccountToken
from app.mail.models import AccountToken, EmailVerification
from app.users import service as users
from app.users.models import User

# The security events these use cases record (app/core/events.py).
PASSWORD_RESET_REQUESTED = events.action("account.password_reset_requested")
PASSWORD_RESET_COMPLETED = events.action("account.password_reset_completed")
EMAIL_VERIFIED = events.action("account.email_verified")

PURPOSE_RESET = "reset"
PURPOSE_VERIFY = "verify"
# The outbox's names for the two mails.
MAIL_RESET = "password_reset"
MAIL_VERIFY = "email_verification"


def request_password_reset(email: str) -> None:
    """Ask for a reset link to `email`, sent if it names an active account; silent either way."""
    if not current_app.config["PASSWORD_RESET_ENABLED"]:
        raise FeatureDisabled()
    outbox.enqueue(MAIL_RESET, email)
    db.session.commit()


def reset_password(token: str, new_password: str, now: datetime | None = None) -> None:
    """Set a new password with a mailed token; every session of the account ends."""
    if not current_app.config["PASSWORD_RESET_ENABLED"]:
        raise FeatureDisabled()
    now = now or utcnow()
    user = _redeem(token, PURPOSE_RESET, now)
    user.set_password(new_password, current_app.config["PASSWORD_HASH_METHOD"])
    # The link reached the owner's mailbox: that proves the address too.
    mark_verified(user.id, now)
    auth.end_sessions(user.id)
    events.record(PASSWORD_RESET_COMPLETED, actor_id=user.id, target=user.id)
    db.session.commit()


def request_verification(email: str) -> None:
    """Ask for a verification link to `email`, sent if it names an active, unverified account."""
    outbox.enqueue(MAIL_VERIFY, email)
    db.session.commit()


def verify_email(token: str, now: datetime | None = None) -> None:
    """Mark the address of the token's account as verified."""
    now = now or utcnow()
    user = _redeem(token, PURPOSE_VERIFY, now)
    mark_verified(user.id, now)
    events.record(EMAIL_VERIFIED, actor_id=user.id, target=user.id)
    db.session.commit()


def is_verified(user_id: int) -> bool:
    return repository.verified_at(user_id) is not None


def mark_verified(user_id: int, now: datetime | None = None) -> None:
    """Record that the user proved their address, unless they already had (committed by the
    caller's use case)."""
    if not is_verified(user_id):
        repository.add(EmailVerification(user_id=user_id, verified_at=now or utcnow()))


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@outbox.composer(MAIL_RESET)
def reset_mail(email: str, now: datetime) -> EmailMessage | None:
    """The reset mail with a new token, if `email` names an active account (at delivery)."""
    user = users.find_user(email)
    if not current_app.config["PASSWORD_RESET_ENABLED"] or user is None or not user.is_active:
        return None
    lifetime = current_app.config["PASSWORD_RESET_TOKEN_EXPIRES"]
    # Recorded here, when the link is issued, not with the request: the request does the same
    # work for every address (no event for unknown ones), and the event commits with the token.
    events.record(PASSWORD_RESET_REQUESTED, target=user.id)
    return links.password_reset(user, _issue_token(user, PURPOSE_RESET, now), lifetime)


@outbox.composer(MAIL_VERIFY)
def verification_mail(email: str, now: datetime) -> EmailMessage | None:
    """The verification mail with a new token, if `email` names an active, unverified account."""
    user = users.find_user(email)
    if user is None or not user.is_active or is_verified(user.id):
        return None
    lifetime = current_app.config["EMAIL_VERIFICATION_TOKEN_EXPIRES"]
    return links.email_verification(user, _issue_token(user, PURPOSE_VERIFY, now), lifetime)


def _issue_token(user: User, purpose: str, now: datetime) -> str:
    """Store a new token for `user`, replacing older ones of `purpose`; committed by the sender."""
    token = secrets.token_urlsafe(32)
    name = "PASSWORD_RESET" if purpose == PURPOSE_RESET else "EMAIL_VERIFICATION"
    repository.delete_account_tokens(user.id, purpose)
    repository.add(
        AccountToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=hash_token(token),
            created_at=now,
            expires_at=now + current_app.config[f"{name}_TOKEN_EXPIRES"],
        )
    )
    return token


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


@auth.registering.connect
def _queue_verification(email: str) -> None:
    # Committed with the account being registered, or dropped with it.
    if current_app.config["REQUIRE_EMAIL_VERIFICATION"]:
        outbox.enqueue(MAIL_VERIFY, email)


@auth.password_verified.connect
def _require_verified_address(user: User) -> None:
    if current_app.config["REQUIRE_EMAIL_VERIFICATION"] and not is_verified(user.id):
        auth.login_failed(user, "email_not_verified")
        raise EmailNotVerified()


@auth.admin_made.connect
def _operator_vouches(user: User) -> None:
    mark_verified(user.id)


@account.password_changed.connect
def _drop_reset_links(user_id: int) -> None:
    repository.delete_account_tokens(user_id, PURPOSE_RESET)


@auth.purging.connect
def _purge_links(now: datetime) -> tuple[str, int]:
    return "expired e-mail link", repository.delete_expired_tokens(now)


@users.user_deleting.connect
def _forget_user(user_id: int) -> None:
    repository.delete_user_rows(user_id)
    user = users.get_user(user_id)
    if user is not None:
        outbox.forget(user.email)
