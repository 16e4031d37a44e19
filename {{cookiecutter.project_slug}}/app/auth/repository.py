"""Queries for login sessions, refresh tokens and mailed account tokens. Nothing here commits."""

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Row, and_, bindparam, delete, select, update

from app.auth.models import AccountToken, AuthSession, RefreshToken
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


def add(row: AuthSession | RefreshToken | AccountToken) -> None:
    db.session.add(row)


def session_user(session_id: str, user_id: int, now: datetime) -> SessionUser | None:
    """Session `session_id` of user `user_id`: (live, user active, id, email, name, age, role).

    One round trip on a connection of its own, outside the request's ORM session, that leaves no
    transaction to roll back: in autocommit mode on a database server; SQLite's driver begins
    none for a SELECT, and switching its mode would cost two statements more.
    """
    engine = db.engine
    with engine.connect() as connection:
        if engine.dialect.name != "sqlite":
            connection.execution_options(isolation_level="AUTOCOMMIT")
        found = connection.execute(
            SESSION_USER, {"session_id": session_id, "user_id": user_id, "now": now}
        ).first()
    return found


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
    """Delete the user's sessions, their refresh tokens and mailed tokens (before the user goes)."""
    sessions = select(AuthSession.id).where(AuthSession.user_id == user_id)
    db.session.execute(delete(RefreshToken).where(RefreshToken.session_id.in_(sessions)))
    db.session.execute(delete(AuthSession).where(AuthSession.user_id == user_id))
    db.session.execute(delete(AccountToken).where(AccountToken.user_id == user_id))


def delete_expired(now: datetime) -> tuple[int, int]:
    """Delete sessions (with their refresh tokens) and mailed tokens past expiry; their counts."""
    # Refresh tokens go with their session (ON DELETE CASCADE is not enforced by every SQLite).
    expired = select(AuthSession.id).where(AuthSession.expires_at <= now)
    db.session.execute(delete(RefreshToken).where(RefreshToken.session_id.in_(expired)))
    sessions = _rowcount(delete(AuthSession).where(AuthSession.expires_at <= now))
    tokens = _rowcount(delete(AccountToken).where(AccountToken.expires_at <= now))
    return sessions, tokens


def live_account_token(token_hash: str, purpose: str, now: datetime) -> AccountToken | None:
    """The unexpired token of `purpose` with this hash, if there is one."""
    return db.session.scalar(
        select(AccountToken).where(
            AccountToken.token_hash == token_hash,
            AccountToken.purpose == purpose,
            AccountToken.expires_at > now,
        )
    )


def claim_account_token(token_id: int) -> bool:
    """Delete token `token_id`; False if another request used it first."""
    return _rowcount(delete(AccountToken).where(AccountToken.id == token_id)) == 1


def delete_account_tokens(user_id: int, purpose: str) -> None:
    db.session.execute(
        delete(AccountToken).where(AccountToken.user_id == user_id, AccountToken.purpose == purpose)
    )
