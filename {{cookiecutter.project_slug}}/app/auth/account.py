"""Account use cases: change the password, reset it by e-mail, verify the e-mail address.

Asking for a link only adds a row to the mail outbox (app/mail), for any address: a known and
an unknown one cost the same work, and the answer never waits on SMTP. The sender later calls
the composers below, which look the address up and, for an account that should get the link,
issue its token then. Tokens are `secrets.token_urlsafe(32)`, stored only as their SHA-256,
single use, and a new one replaces any older one of the same purpose. Every function takes `now`
so tests can move the clock; callers leave it out.
"""

import hashlib
import secrets
from datetime import datetime
from email.message import EmailMessage

from flask import current_app

from app.audit import service as audit
from app.auth import mails, repository
from app.auth.models import AccountToken
from app.core.database import utcnow
from app.errors import FeatureDisabled, IncorrectPassword, InvalidAccountToken
from app.extensions import db
from app.mail import service as outbox
from app.users import service as users
from app.users.models import Actor, User

PURPOSE_RESET = "reset"
PURPOSE_VERIFY = "verify"
# The outbox's names for the two mails.
MAIL_RESET = "password_reset"
MAIL_VERIFY = "email_verification"


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
    audit.record(audit.Action.PASSWORD_CHANGED, actor_id=user.id, target=user.id)
    db.session.commit()


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
    user.email_verified_at = user.email_verified_at or now
    repository.revoke_sessions(user_id=user.id)
    audit.record(audit.Action.PASSWORD_RESET_COMPLETED, actor_id=user.id, target=user.id)
    db.session.commit()


def request_verification(email: str) -> None:
    """Ask for a verification link to `email`, sent if it names an active, unverified account."""
    outbox.enqueue(MAIL_VERIFY, email)
    db.session.commit()


def verify_email(token: str, now: datetime | None = None) -> None:
    """Mark the address of the token's account as verified."""
    now = now or utcnow()
    user = _redeem(token, PURPOSE_VERIFY, now)
    user.email_verified_at = user.email_verified_at or now
    audit.record(audit.Action.EMAIL_VERIFIED, actor_id=user.id, target=user.id)
    db.session.commit()


def queue_verification(email: str) -> None:
    """Ask for the verification link of an account being registered (committed with it)."""
    outbox.enqueue(MAIL_VERIFY, email)


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
    audit.record(audit.Action.PASSWORD_RESET_REQUESTED, target=user.id)
    return mails.password_reset(user, _issue_token(user, PURPOSE_RESET, now), lifetime)


@outbox.composer(MAIL_VERIFY)
def verification_mail(email: str, now: datetime) -> EmailMessage | None:
    """The verification mail with a new token, if `email` names an active, unverified account."""
    user = users.find_user(email)
    if user is None or not user.is_active or user.email_verified_at is not None:
        return None
    lifetime = current_app.config["EMAIL_VERIFICATION_TOKEN_EXPIRES"]
    return mails.email_verification(user, _issue_token(user, PURPOSE_VERIFY, now), lifetime)


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
