"""Queries for API keys. Nothing here commits."""

from datetime import datetime

from sqlalchemy import delete, or_, select, update

from app.apikeys.models import ApiKey
from app.extensions import db
from app.users.models import MAX_ID, User


def add(key: ApiKey) -> None:
    db.session.add(key)


def live_key_and_user(key_hash: str, now: datetime) -> tuple[ApiKey, User] | None:
    """The unrevoked, unexpired key with this hash and its active user: one query."""
    row = db.session.execute(
        select(ApiKey, User)
        .join(User, User.id == ApiKey.user_id)
        .where(
            ApiKey.key_hash == key_hash,
            ApiKey.revoked_at.is_(None),
            or_(ApiKey.expires_at.is_(None), ApiKey.expires_at > now),
            User.is_active.is_(True),
        )
    ).first()
    return None if row is None else (row[0], row[1])


def unrevoked(user_id: int) -> list[ApiKey]:
    """The user's keys that are not revoked (expired ones too), newest first."""
    query = (
        select(ApiKey)
        .where(ApiKey.user_id == user_id, ApiKey.revoked_at.is_(None))
        .order_by(ApiKey.id.desc())
    )
    return list(db.session.scalars(query))


def unrevoked_key(user_id: int, key_id: int) -> ApiKey | None:
    # Both ids are 32-bit columns: a larger number (from the URL) names no key.
    if not (0 < user_id <= MAX_ID and 0 < key_id <= MAX_ID):
        return None
    return db.session.scalar(
        select(ApiKey).where(
            ApiKey.id == key_id, ApiKey.user_id == user_id, ApiKey.revoked_at.is_(None)
        )
    )


def revoke_all(user_id: int, now: datetime) -> None:
    db.session.execute(
        update(ApiKey)
        .where(ApiKey.user_id == user_id, ApiKey.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def delete_all(user_id: int) -> None:
    db.session.execute(delete(ApiKey).where(ApiKey.user_id == user_id))
