"""Queries for login sessions and their refresh tokens. Nothing here commits."""

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select, update

from app.database.schema import AuthSession, RefreshToken, User, utcnow
from app.extensions import db


def add_session(session: AuthSession) -> None:
    db.session.add(session)


def add_refresh_token(token: RefreshToken) -> None:
    db.session.add(token)


def user_of_live_session(session_id: str, user_id: int, now: datetime) -> User | None:
    """The user a token names, with its role, if the token's session is live: one query."""
    return db.session.scalar(
        select(User)
        .join(AuthSession, AuthSession.user_id == User.id)
        .where(
            AuthSession.id == session_id,
            User.id == user_id,
            AuthSession.revoked_at.is_(None),
            AuthSession.expires_at > now,
        )
    )


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


def revoke_user_sessions(user_id: int, keep: str | None = None) -> None:
    """Revoke every live session of the user, except session `keep` when given."""
    query = update(AuthSession).where(
        AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None)
    )
    if keep is not None:
        query = query.where(AuthSession.id != keep)
    db.session.execute(query.values(revoked_at=utcnow()))


def delete_user_sessions(user_id: int) -> None:
    """Delete the user's sessions and their refresh tokens (before the user goes)."""
    sessions = select(AuthSession.id).where(AuthSession.user_id == user_id)
    db.session.execute(delete(RefreshToken).where(RefreshToken.session_id.in_(sessions)))
    db.session.execute(delete(AuthSession).where(AuthSession.user_id == user_id))


def delete_expired_sessions(now: datetime) -> int:
    """Delete the sessions (and their refresh tokens) that expired by `now`; return how many."""
    # Refresh tokens go with their session (ON DELETE CASCADE is not enforced by every SQLite).
    expired = select(AuthSession.id).where(AuthSession.expires_at <= now)
    db.session.execute(delete(RefreshToken).where(RefreshToken.session_id.in_(expired)))
    result = cast(
        CursorResult[Any],
        db.session.execute(delete(AuthSession).where(AuthSession.expires_at <= now)),
    )
    return result.rowcount
