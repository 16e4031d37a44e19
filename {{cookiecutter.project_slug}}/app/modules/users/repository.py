"""Queries for users and roles. Nothing here commits."""

from sqlalchemy import func, select

from app.database.schema import Role, User
from app.extensions import db


def get_by_id(user_id: int) -> User | None:
    return db.session.get(User, user_id)


def get_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email))


def get_role(name: str) -> Role:
    return db.session.execute(select(Role).where(Role.name == name)).scalar_one()


def add(user: User) -> None:
    db.session.add(user)


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(User)) or 0


def page(offset: int, limit: int) -> list[User]:
    return list(db.session.scalars(select(User).order_by(User.id).offset(offset).limit(limit)))
