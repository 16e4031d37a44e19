"""Queries for e-mailed account tokens. Nothing here commits."""

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select

from app.database.schema import AccountToken
from app.extensions import db


def add(token: AccountToken) -> None:
    db.session.add(token)


def live_token(token_hash: str, purpose: str, now: datetime) -> AccountToken | None:
    """The unexpired token of `purpose` with this hash, if there is one."""
    return db.session.scalar(
        select(AccountToken).where(
            AccountToken.token_hash == token_hash,
            AccountToken.purpose == purpose,
            AccountToken.expires_at > now,
        )
    )


def claim(token_id: int) -> bool:
    """Delete token `token_id`; False if another request used it first."""
    result = cast(
        CursorResult[Any],
        db.session.execute(delete(AccountToken).where(AccountToken.id == token_id)),
    )
    return result.rowcount == 1


def delete_tokens(user_id: int, purpose: str | None = None) -> None:
    """Delete the user's tokens of `purpose` (all of them when None)."""
    query = delete(AccountToken).where(AccountToken.user_id == user_id)
    if purpose is not None:
        query = query.where(AccountToken.purpose == purpose)
    db.session.execute(query)


def delete_expired(now: datetime) -> int:
    result = cast(
        CursorResult[Any],
        db.session.execute(delete(AccountToken).where(AccountToken.expires_at <= now)),
    )
    return result.rowcount
