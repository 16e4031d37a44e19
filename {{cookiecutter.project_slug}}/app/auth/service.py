"""Auth use cases: self-registration, login, refresh-token rotation, logout, admin accounts and
the removal of expired sessions.

Capabilities take part through the signals below (blinker, as Flask's own signals), inside the
transaction of the use case, so this module imports none of them.
"""

import uuid
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol

from blinker import Namespace
from flask import current_app
from flask_jwt_extended import create_access_token, create_refresh_token
from werkzeug.security import check_password_hash, generate_password_hash

from app.auth import repository
from app.auth.models import AuthSession, RefreshToken
from app.core import events
from app.core.database import utcnow
from app.errors import EmailAlreadyRegistered, InvalidCredentials, RefreshTokenReused, SessionEnded
from app.extensions import db
from app.users import service as users
from app.users.models import ROLE_ADMIN, ROLE_USER, Actor, User

# The security events these use cases record (app/core/events.py).
REGISTERED = events.action("user.registered")
LOGIN_SUCCEEDED = events.action("auth.login_succeeded")
LOGIN_FAILED = events.action("auth.login_failed")
LOGOUT = events.action("auth.logout")
REFRESH_TOKEN_REUSED = events.action("auth.refresh_token_reused")
ADMIN_CREATED = events.action("user.admin_created")
ADMIN_PROMOTED = events.action("user.admin_promoted")


signals = Namespace()
# Sent with the e-mail address before a self-registration adds its account.
registering = signals.signal("registering")
# Sent with the user once a login's password is right, before any session opens. A receiver
# may refuse the login (raising a DomainError, after `login_failed`), or return a NextStep:
# the login then answers with it, and opens no session.
password_verified = signals.signal("password-verified")
# Sent with the user when an operator makes them an admin (`flask users create-admin`).
admin_made = signals.signal("admin-made")
# Sent with the time by `flask sessions purge`: a receiver deletes its own expired rows and
# returns (what they are, how many), for the report.
purging = signals.signal("purging")


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str


class NextStep(Protocol):
    """What a login answers with instead of tokens while another step must come first."""

    def as_response(self) -> dict[str, Any]: ...


def register_user(email: str, name: str, password: str, age: int | None = None) -> User:
    """Register a new account; self-registration always gets the `user` role.

    What `registering` adds (a verification mail) commits with the account, or is dropped with it.
    """
    registering.send(email)
    try:
        user = users.add_user(email, name, password, age, role=ROLE_USER)
    except EmailAlreadyRegistered:
        db.session.rollback()
        raise
    events.record(REGISTERED, actor_id=user.id, target=user.id)
    db.session.commit()
    return user


def login(email: str, password: str) -> tuple[User, TokenPair | NextStep]:
    """Check the credentials and open a session; unknown e-mail and wrong password look alike.

    A receiver of `password_verified` may ask for another step first: no session yet. A failure
    is recorded and committed before the error: the attempt is a fact. An unknown address is
    recorded without it (it may be a password typed in the wrong field).
    """
    user = users.find_user(email)
    if user is None or user.password_hash is None or not user.is_active:
        # Spend the same hashing time as a real check so timing does not reveal the account.
        check_password_hash(_dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]), password)
        reason = None if user is None else "inactive" if not user.is_active else "no_password"
        login_failed(user, reason)
        raise InvalidCredentials()
    if not user.check_password(password):
        login_failed(user, "wrong_password")
        raise InvalidCredentials()
    # Only after the password: a refusal must not tell an attacker the address has an account.
    for _receiver, step in password_verified.send(user):
        if step is not None:
            db.session.commit()
            return user, step
    return user, open_session(user)


def open_session(user: User, details: dict[str, events.Detail] | None = None) -> TokenPair:
    """Open a session for `user` with its first pair of tokens, and record the login."""
    tokens = _open_session(user.id)
    events.record(LOGIN_SUCCEEDED, actor_id=user.id, target=user.id, details=details)
    db.session.commit()
    return tokens


def login_failed(user: User | None, reason: str | None) -> None:
    """Record a failed login (committed now: the attempt is a fact, whatever follows)."""
    if user is None:
        events.record(LOGIN_FAILED)
    else:
        events.record(LOGIN_FAILED, target=user.id, details={"reason": reason})
    db.session.commit()


def user_of_session(session_id: str, user_id: int) -> Actor | None:
    """The user acting through session `session_id`; None if the account is inactive.

    Raises SessionEnded once the session is revoked or expired, or is not the user's.
    """
    found = repository.session_user(session_id, user_id, utcnow())
    if found is None:
        raise SessionEnded()
    live, active, id_, email, name, age, role = found
    if not live:
        raise SessionEnded()
    if not active:
        return None
    return Actor(id=id_, email=email, name=name, age=age, role=role, session_id=session_id)


def rotate_refresh_token(user_id: int, session_id: str, jti: str) -> TokenPair:
    """Retire refresh token `jti` and issue a new pair in the same session.

    A refresh token that was already used means someone else holds a copy: the whole
    session is revoked and the caller is refused.
    """
    if not repository.claim_refresh_token(jti):
        repository.revoke_sessions(session_id=session_id)
        events.record(
            REFRESH_TOKEN_REUSED,
            actor_id=user_id,
            target=user_id,
            details={"session_revoked": True},
        )
        db.session.commit()
        raise RefreshTokenReused()
    tokens = _issue_tokens(user_id, session_id)
    db.session.commit()
    return tokens


def logout(user_id: int, session_id: str) -> None:
    """Revoke the session: its access and refresh tokens stop working at once."""
    repository.revoke_sessions(session_id=session_id, user_id=user_id)
    events.record(LOGOUT, actor_id=user_id, target=user_id)
    db.session.commit()


def make_admin(email: str, name: str, password: str | None) -> tuple[User, bool]:
    """Create an admin, or promote the existing user with this e-mail; True if created.

    A new password ends every session started with the old one. Receivers of `admin_made`
    hear of it: the operator vouches for the address.
    """
    user = users.find_user(email)
    created = user is None
    if user is None:
        user = users.add_user(email, name, password, role=ROLE_ADMIN)
        events.record(ADMIN_CREATED, target=user.id, details={"via": "cli"})
    else:
        users.promote(user)
        user.name = name
        if password is not None:
            user.set_password(password, current_app.config["PASSWORD_HASH_METHOD"])
            end_sessions(user.id)
        events.record(
            ADMIN_PROMOTED,
            target=user.id,
            details={"via": "cli", "new_credentials": password is not None},
        )
    admin_made.send(user)
    db.session.commit()
    return user, created


def purge_expired() -> list[tuple[str, int]]:
    """Delete expired sessions (with their refresh tokens), and what receivers of `purging`
    keep that expired; (what, how many) of each, sessions first."""
    now = utcnow()
    purged = [("expired session", repository.delete_expired(now))]
    purged += [result for _receiver, result in purging.send(now)]
    db.session.commit()
    return purged


def end_sessions(user_id: int) -> None:
    """Revoke every session of the user (committed by the caller's use case)."""
    repository.revoke_sessions(user_id=user_id)


@users.user_deactivated.connect
def _end_sessions(user_id: int) -> None:
    repository.revoke_sessions(user_id=user_id)


@users.user_deleting.connect
def _forget_user(user_id: int) -> None:
    repository.delete_user_data(user_id)


def _open_session(user_id: int) -> TokenPair:
    """Add a session for the user, and its first pair of tokens (committed by the caller)."""
    now = utcnow()
    session = AuthSession(
        id=str(uuid.uuid4()),
        user_id=user_id,
        created_at=now,
        expires_at=now + current_app.config["JWT_REFRESH_TOKEN_EXPIRES"],
    )
    repository.add(session)
    return _issue_tokens(user_id, session.id)


def _issue_tokens(user_id: int, session_id: str) -> TokenPair:
    jti = str(uuid.uuid4())
    identity = str(user_id)
    refresh = create_refresh_token(identity, additional_claims={"sid": session_id, "jti": jti})
    repository.add(
        RefreshToken(
            jti=jti,
            session_id=session_id,
            expires_at=utcnow() + current_app.config["JWT_REFRESH_TOKEN_EXPIRES"],
        )
    )
    access = create_access_token(identity, additional_claims={"sid": session_id})
    return TokenPair(access=access, refresh=refresh)


@cache
def _dummy_hash(method: str) -> str:
    return generate_password_hash(uuid.uuid4().hex, method=method)
