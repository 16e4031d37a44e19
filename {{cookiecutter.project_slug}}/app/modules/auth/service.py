"""Auth use cases: self-registration, login, refresh-token rotation, logout, admin accounts
and the removal of expired sessions."""

import uuid
from dataclasses import dataclass
from functools import lru_cache

from flask import current_app
from flask_jwt_extended import create_access_token, create_refresh_token
from werkzeug.security import check_password_hash, generate_password_hash

from app.database.schema import ROLE_ADMIN, ROLE_USER, AuthSession, RefreshToken, User, utcnow
from app.errors.domain import EmailNotVerified, InvalidCredentials, RefreshTokenReused
from app.extensions import db
from app.modules.account import service as account_service
from app.modules.auth import repository
from app.modules.users import repository as user_repository
from app.modules.users import service as user_service


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str


def register_user(email: str, name: str, password: str, age: int | None = None) -> User:
    """Register a new account; self-registration always gets the `user` role.

    With REQUIRE_EMAIL_VERIFICATION on, the account is sent its verification link.
    """
    user = user_service.create_user(email, name, password, age, role=ROLE_USER)
    if current_app.config["REQUIRE_EMAIL_VERIFICATION"]:
        account_service.send_verification(user)
    return user


def login(email: str, password: str) -> tuple[User, TokenPair]:
    """Check the credentials and open a session; unknown e-mail and wrong password look alike."""
    user = user_repository.get_by_email(email)
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
    repository.add_session(session)
    tokens = _issue_tokens(user.id, session.id)
    db.session.commit()
    return user, tokens


def user_of_session(session_id: str, user_id: int) -> User | None:
    """The user of session `session_id`, or None once it is revoked or expired (or not theirs)."""
    return repository.user_of_live_session(session_id, user_id, utcnow())


def rotate_refresh_token(user_id: int, session_id: str, jti: str) -> TokenPair:
    """Retire refresh token `jti` and issue a new pair in the same session.

    A refresh token that was already used means someone else holds a copy: the whole
    session is revoked and the caller is refused.
    """
    if not repository.claim_refresh_token(jti):
        repository.revoke_session(session_id)
        db.session.commit()
        raise RefreshTokenReused()
    tokens = _issue_tokens(user_id, session_id)
    db.session.commit()
    return tokens


def logout(session_id: str) -> None:
    """Revoke the session: its access and refresh tokens stop working at once."""
    repository.revoke_session(session_id)
    db.session.commit()


def make_admin(email: str, name: str, password: str | None) -> tuple[User, bool]:
    """Create an admin, or promote the existing user with this e-mail; True if created.

    A new password ends every session started with the old one. The operator vouches for
    the address: it counts as verified.
    """
    user = user_repository.get_by_email(email)
    created = user is None
    if user is None:
        user = user_service.create_user(email, name, password, role=ROLE_ADMIN)
    else:
        user.role = user_repository.get_role(ROLE_ADMIN)
        user.name = name
        if password is not None:
            user.set_password(password, current_app.config["PASSWORD_HASH_METHOD"])
            repository.revoke_user_sessions(user.id)
    user.email_verified_at = user.email_verified_at or utcnow()
    db.session.commit()
    return user, created


def purge_expired_sessions() -> int:
    """Delete sessions past their expiry, with their refresh tokens; return how many went."""
    purged = repository.delete_expired_sessions(utcnow())
    db.session.commit()
    return purged


def _issue_tokens(user_id: int, session_id: str) -> TokenPair:
    jti = str(uuid.uuid4())
    identity = str(user_id)
    refresh = create_refresh_token(identity, additional_claims={"sid": session_id, "jti": jti})
    repository.add_refresh_token(
        RefreshToken(
            jti=jti,
            session_id=session_id,
            expires_at=utcnow() + current_app.config["JWT_REFRESH_TOKEN_EXPIRES"],
        )
    )
    access = create_access_token(identity, additional_claims={"sid": session_id})
    return TokenPair(access=access, refresh=refresh)


@lru_cache(maxsize=4)
def _dummy_hash(method: str) -> str:
    return generate_password_hash(uuid.uuid4().hex, method=method)
