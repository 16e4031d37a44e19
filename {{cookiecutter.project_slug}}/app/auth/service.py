"""Auth use cases: self-registration, login (with its second step when two-factor sign-in is on),
refresh-token rotation, logout, admin accounts and the removal of expired sessions."""

import uuid
from dataclasses import dataclass
from functools import cache

from flask import current_app
from flask_jwt_extended import create_access_token, create_refresh_token
from werkzeug.security import check_password_hash, generate_password_hash

from app.audit import service as audit
from app.auth import account, repository
from app.auth.models import AuthSession, RefreshToken
from app.auth.twofactor import service as twofactor
from app.auth.twofactor.service import Challenge
from app.core.database import utcnow
from app.errors import (
    EmailAlreadyRegistered,
    EmailNotVerified,
    InvalidCredentials,
    InvalidLoginChallenge,
    RefreshTokenReused,
    SessionEnded,
)
from app.extensions import db
from app.mail import service as outbox
from app.users import service as users
from app.users.models import ROLE_ADMIN, ROLE_USER, Actor, User


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str


def register_user(email: str, name: str, password: str, age: int | None = None) -> User:
    """Register a new account; self-registration always gets the `user` role.

    With REQUIRE_EMAIL_VERIFICATION on, the account is sent its verification link: the mail is
    committed with the account, or dropped with it.
    """
    if current_app.config["REQUIRE_EMAIL_VERIFICATION"]:
        account.queue_verification(email)
    try:
        user = users.add_user(email, name, password, age, role=ROLE_USER)
    except EmailAlreadyRegistered:
        db.session.rollback()
        raise
    audit.record(audit.Action.REGISTERED, actor_id=user.id, target=user.id)
    db.session.commit()
    return user


def login(email: str, password: str) -> tuple[User, TokenPair | Challenge]:
    """Check the credentials and open a session; unknown e-mail and wrong password look alike.

    With two-factor sign-in on, no session yet: a challenge for `complete_login`. A failure is
    recorded and committed before the error: the attempt is a fact. An unknown address is
    recorded without it (it may be a password typed in the wrong field).
    """
    user = users.find_user(email)
    if user is None or user.password_hash is None or not user.is_active:
        # Spend the same hashing time as a real check so timing does not reveal the account.
        check_password_hash(_dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]), password)
        reason = None if user is None else "inactive" if not user.is_active else "no_password"
        _login_failed(user, reason)
        raise InvalidCredentials()
    if not user.check_password(password):
        _login_failed(user, "wrong_password")
        raise InvalidCredentials()
    # Only after the password: an unverified account must not be found by guessing addresses.
    if current_app.config["REQUIRE_EMAIL_VERIFICATION"] and user.email_verified_at is None:
        _login_failed(user, "email_not_verified")
        raise EmailNotVerified()
    if twofactor.is_enabled(user.id):
        challenge = twofactor.begin_login(user.id)
        db.session.commit()
        return user, challenge
    tokens = _open_session(user.id)
    audit.record(audit.Action.LOGIN_SUCCEEDED, actor_id=user.id, target=user.id)
    db.session.commit()
    return user, tokens


def complete_login(challenge: str, code: str) -> tuple[User, TokenPair]:
    """The second step: a login's challenge and a code (or recovery code) open the session.

    The account must still be active; every failure is the same error.
    """
    user_id, method = twofactor.complete_login(challenge, code)
    user = users.get_user(user_id)
    if user is None or not user.is_active:
        db.session.rollback()
        raise InvalidLoginChallenge()
    tokens = _open_session(user.id)
    audit.record(
        audit.Action.LOGIN_SUCCEEDED,
        actor_id=user.id,
        target=user.id,
        details={"second_factor": method},
    )
    db.session.commit()
    return user, tokens


def _login_failed(user: User | None, reason: str | None) -> None:
    if user is None:
        audit.record(audit.Action.LOGIN_FAILED)
    else:
        audit.record(audit.Action.LOGIN_FAILED, target=user.id, details={"reason": reason})
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
        audit.record(
            audit.Action.REFRESH_TOKEN_REUSED,
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
    audit.record(audit.Action.LOGOUT, actor_id=user_id, target=user_id)
    db.session.commit()


def make_admin(email: str, name: str, password: str | None) -> tuple[User, bool]:
    """Create an admin, or promote the existing user with this e-mail; True if created.

    A new password ends every session started with the old one. The operator vouches for
    the address: it counts as verified.
    """
    user = users.find_user(email)
    created = user is None
    if user is None:
        user = users.add_user(email, name, password, role=ROLE_ADMIN)
        audit.record(audit.Action.ADMIN_CREATED, target=user.id, details={"via": "cli"})
    else:
        users.promote(user)
        user.name = name
        if password is not None:
            user.set_password(password, current_app.config["PASSWORD_HASH_METHOD"])
            repository.revoke_sessions(user_id=user.id)
        audit.record(
            audit.Action.ADMIN_PROMOTED,
            target=user.id,
            details={"via": "cli", "new_credentials": password is not None},
        )
    user.email_verified_at = user.email_verified_at or utcnow()
    db.session.commit()
    return user, created


def purge_expired() -> tuple[int, int]:
    """Delete expired sessions (with their refresh tokens) and mailed links; how many of each."""
    purged = repository.delete_expired(utcnow())
    db.session.commit()
    return purged


@users.user_deactivated.connect
def _end_sessions(user_id: int) -> None:
    repository.revoke_sessions(user_id=user_id)


@users.user_deleting.connect
def _forget_user(user_id: int) -> None:
    repository.delete_user_data(user_id)
    user = users.get_user(user_id)
    if user is not None:
        outbox.forget(user.email)


@twofactor.two_factor_removed.connect
def _end_all_sessions(user_id: int) -> None:
    repository.revoke_sessions(user_id=user_id)


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
