"""Auth use cases: self-registration, login, refresh-token rotation, logout, admin accounts and
the removal of expired sessions."""

import uuid
from dataclasses import dataclass
from functools import cache

from flask import current_app
from flask_jwt_extended import create_access_token, create_refresh_token
from werkzeug.security import check_password_hash, generate_password_hash

from app.auth import account, repository
from app.auth.models import AuthSession, RefreshToken
from app.core.database import utcnow
from app.errors import EmailNotVerified, InvalidCredentials, RefreshTokenReused, SessionEnded
from app.extensions import db
from app.users import service as users
from app.users.models import ROLE_ADMIN, ROLE_USER, Actor, User


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str


def register_user(email: str, name: str, password: str, age: int | None = None) -> User:
    """Register a new account; self-registration always gets the `user` role.

    With REQUIRE_EMAIL_VERIFICATION on, the account is sent its verification link.
    """
    user = users.create_user(email, name, password, age, role=ROLE_USER)
    if current_app.config["REQUIRE_EMAIL_VERIFICATION"]:
        account.send_verification(user)
    return user


def login(email: str, password: str) -> tuple[User, TokenPair]:
    """Check the credentials and open a session; unknown e-mail and wrong password look alike."""
    user = users.find_user(email)
    if user is None or user.password_hash is None or not user.is_active:
        # Spend the same hashing time as a real check so timing does not reveal the account.
        check_password_hash(_dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]), password)
        raise InvalidCredentials()
    if not user.check_password(password):
        raise InvalidCredentials()
    # Only after the password: an unverified account must not be found by guessing addresses.
    if current_app.config["REQUIRE_EMAIL_VERIFICATION"] and user.email_verified_at is None:
        raise EmailNotVerified()

    now = utcnow()
    session = AuthSession(
        id=str(uuid.uuid4()),
        user_id=user.id,
        created_at=now,
        expires_at=now + current_app.config["JWT_REFRESH_TOKEN_EXPIRES"],
    )
    repository.add(session)
    tokens = _issue_tokens(user.id, session.id)
    db.session.commit()
    return user, tokens


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
    return Actor(id=id_, email=email, name=name, age=age, role=role) if active else None


def rotate_refresh_token(user_id: int, session_id: str, jti: str) -> TokenPair:
    """Retire refresh token `jti` and issue a new pair in the same session.

    A refresh token that was already used means someone else holds a copy: the whole
    session is revoked and the caller is refused.
    """
    if not repository.claim_refresh_token(jti):
        repository.revoke_sessions(session_id=session_id)
        db.session.commit()
        raise RefreshTokenReused()
    tokens = _issue_tokens(user_id, session_id)
    db.session.commit()
    return tokens


def logout(session_id: str) -> None:
    """Revoke the session: its access and refresh tokens stop working at once."""
    repository.revoke_sessions(session_id=session_id)
    db.session.commit()


def make_admin(email: str, name: str, password: str | None) -> tuple[User, bool]:
    """Create an admin, or promote the existing user with this e-mail; True if created.

    A new password ends every session started with the old one. The operator vouches for
    the address: it counts as verified.
    """
    user = users.find_user(email)
    created = user is None
    if user is None:
        user = users.create_user(email, name, password, role=ROLE_ADMIN)
    else:
        users.promote(user)
        user.name = name
        if password is not None:
            user.set_password(password, current_app.config["PASSWORD_HASH_METHOD"])
            repository.revoke_sessions(user_id=user.id)
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
