"""Queries for users and roles. Nothing here commits."""

from sqlalchemy import func, select
from sqlalchemy.orm import lazyload

from app.extensions import db
from app.users.models import MAX_ID, ROLE_ADMIN, Role, User


def get_by_id(user_id: int) -> User | None:
    """The user with this id; None for an id no column can hold (a URL may carry any number)."""
    return db.session.get(User, user_id) if 0 < user_id <= MAX_ID else None


def get_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email))


def get_role(name: str) -> Role:
    return db.session.execute(select(Role).where(Role.name == name)).scalar_one()


def add(user: User) -> None:
    db.session.add(user)


def delete(user: User) -> None:
    db.session.delete(user)


def lock_active_admins() -> list[int]:
    """Ids of the active admins, their rows locked until commit (SQLite locks on write)."""
    query = (
        select(User.id)
        .join(Role, Role.id == User.role_id)
        .where(Role.name == ROLE_ADMIN, User.is_active.is_(True))
        .with_for_update()
    )
    return list(db.session.scalars(query))


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(User)) or 0


def page(offset: int, limit: int) -> list[User]:
    """Users `offset` to `offset + limit` in id order.

    The offset is walked on the primary key alone, then only the rows of the page are loaded
    (without their role, which the list does not show): deep pages stay cheap.
    """
    ids = select(User.id).order_by(User.id).offset(offset).limit(limit).subquery()
    query = (
        select(User).join(ids, User.id == ids.c.id).options(lazyload(User.role)).order_by(User.id)
    )
    return list(db.session.scalars(query))
