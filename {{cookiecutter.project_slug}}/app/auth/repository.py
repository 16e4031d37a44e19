"""Queries for login sessions and refresh tokens. Nothing here commits."""

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Row, and_, bindparam, delete, select, update
from sqlalchemy.exc import DBAPIError

from app.auth.models import AuthSession, RefreshToken
from app.config import AUTOCOMMIT_BIND
from app.core.database import utcnow
from app.extensions import db
from app.users.models import Role, User

# What every authenticated request asks: built once, at import, and compiled once per engine
# (SQLAlchemy caches the compiled form); a request only binds its three values. One indexed
# lookup of the session by its primary key, joined to its user and role, and only the columns
# the token check and the user's own answers need.
LIVE = and_(AuthSession.revoked_at.is_(None), AuthSession.expires_at > bindparam("now"))
SESSION_USER = (
    select(
        LIVE.label("live"),
        User.is_active,
        User.id,
        User.email,
        User.name,
        User.age,
        Role.name.label("role"),
    )
    .join(User, User.id == AuthSession.user_id)
    .join(Role, Role.id == User.role_id)
    .where(AuthSession.id == bindparam("session_id"), User.id == bindparam("user_id"))
)
SessionUser = Row[bool, bool, int, str, str, int | None, str]


def add(row: AuthSession | RefreshToken) -> None:
    db.session.add(row)


def session_user(session_id: str, user_id: int, now: datetime) -> SessionUser | None:
    """Session `session_id` of user `user_id`: (live, user active, id, email, name, age, role).

    One round trip, outside the request's ORM session, that leaves no transaction to roll back:
    on a database server through the autocommit engine (app/config.py), whose pool pings no
    connection; one the server dropped (a restart, a failover) fails here, SQLAlchemy replaces
    the pool's connections, and this read is asked again.
    """
    parameters = {"session_id": session_id, "user_id": user_id, "now": now}
    try:
        return _ask_session_user(parameters)
    except DBAPIError as error:
        if not error.connection_invalidated:
            raise
        return _ask_session_user(parameters)


def _ask_session_user(parameters: dict[str, Any]) -> SessionUser | None:
    with db.engines.get(AUTOCOMMIT_BIND, db.engine).connect() as connection:
        return connection.execute(SESSION_USER, parameters).first()


def _rowcount(statement: Any) -> int:
    # A DELETE or UPDATE returns a CursorResult, which alone has rowcount.
    return cast(CursorResult[Any], db.session.execute(statement)).rowcount


def claim_refresh_token(jti: str) -> bool:
    """Mark refresh token `jti` used; False if it was used already (or never issued)."""
    return (
        _rowcount(
            update(RefreshToken)
            .where(RefreshToken.jti == jti, RefreshToken.used_at.is_(None))
            .values(used_at=utcnow())
        )
        == 1
    )


def revoke_sessions(
    *, session_id: str | None = None, user_id: int | None = None, keep: str | None = None
) -> None:
    """Revoke session `session_id`, or every live session of `user_id` but `keep`."""
    query = update(AuthSession).where(AuthSession.revoked_at.is_(None))
    if session_id is not None:
        query = query.where(AuthSession.id == session_id)
    if user_id is not None:
        query = query.where(AuthSession.user_id == user_id)
    if keep is not None:
        query = query.where(AuthSession.id != keep)
    db.session.execute(query.values(revoked_at=utcnow()))


def delete_user_data(user_id: int) -> None:
    """Delete the user's sessions and their refresh tokens (before the user goes)."""
    sessions = select(AuthSession.id).where(AuthSession.user_id == user_id)
    db.session.execute(delete(RefreshToken).where(RefreshToken.session_id.in_(sessions)))
    db.session.execute(delete(AuthSession).where(AuthSession.user_id == user_id))


def delete_expired(now: datetime) -> int:
    """Delete sessions (with their refresh tokens) past expiry; how many."""
    # Refresh tokens go with their session (ON DELETE CASCADE is not enforced by every SQLite).
    expired = select(AuthSession.id).where(AuthSession.expires_at <= now)
    db.session.execute(delete(RefreshToken).where(RefreshToken.session_id.in_(expired)))
    return _rowcount(delete(AuthSession).where(AuthSession.expires_at <= now))
