"""Queries for login sessions and their refresh tokens. Nothing here commits."""

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, bindparam, delete, select, update

from app.database.schema import AuthSession, RefreshToken, User, utcnow
from app.extensions import db


def add_session(session: AuthSession) -> None:
    db.session.add(session)


def add_refresh_token(token: RefreshToken) -> None:
    db.session.add(token)


# Runs on every authenticated request, so it is built once: constructing the statement costs
# more than executing it.
_USER_OF_LIVE_SESSION = (
    select(User)
    .join(AuthSession, AuthSession.user_id == User.id)
    .where(
        AuthSession.id == bindparam("session_id"),
        User.id == bindparam("user_id"),
        AuthSession.revoked_at.is_(None),
        AuthSession.expires_at > bindparam("now"),
    )
)


def user_of_live_session(session_id: str, user_id: int) -> User | None:
    """The user a token names, if the token's session is still live: one query per request."""
    params = {"session_id": session_id, "user_id": user_id, "now": utcnow()}
    return db.session.scalar(_USER_OF_LIVE_SESSION, params)


def claim_refresh_token(jti: str) -> bool:
    """Mark refresh token `jti` used; False if it was used already (or never issued)."""
    # An UPDATE returns a CursorResult, which alone has rowcount; Session.execute is typed wider.
    result = cast(
        CursorResult[Any],
        db.session.execute(
            update(RefreshToken)
            .where(RefreshToken.jti == jti, RefreshToken.used_at.is_(None))
            .values(used_at=utcnow())
        ),
    )
    return result.rowcount == 1


def revoke_session(session_id: str) -> None:
    db.session.execute(
        update(AuthSession)
        .where(AuthSession.id == session_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def revoke_user_sessions(user_id: int) -> None:
    db.session.execute(
        update(AuthSession)
        .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def delete_expired_sessions(now: datetime) -> None:
    # Refresh tokens go with their session (ON DELETE CASCADE is not enforced by every SQLite).
    expired = select(AuthSession.id).where(AuthSession.expires_at <= now)
    db.session.execute(delete(RefreshToken).where(RefreshToken.session_id.in_(expired)))
    db.session.execute(delete(AuthSession).where(AuthSession.expires_at <= now))
