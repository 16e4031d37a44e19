"""User use cases: create, look up with visibility rules, list a page."""

from dataclasses import dataclass

from flask import current_app
from sqlalchemy.exc import IntegrityError

from app.database.schema import ROLE_USER, User
from app.errors.domain import EmailAlreadyRegistered, UserNotFound
from app.extensions import db
from app.modules.users import repository


@dataclass(frozen=True)
class UserPage:
    items: list[User]
    total: int
    page: int
    per_page: int

    @property
    def has_next(self) -> bool:
        return self.page * self.per_page < self.total

    @property
    def has_prev(self) -> bool:
        return self.page > 1


def create_user(
    email: str,
    name: str,
    password: str | None = None,
    age: int | None = None,
    role: str = ROLE_USER,
) -> User:
    """Create a user with `role`; a duplicate e-mail (in any letter case) is refused."""
    if repository.get_by_email(email) is not None:
        raise EmailAlreadyRegistered()
    user = User(email=email, name=name, age=age, role=repository.get_role(role))
    if password is not None:
        user.set_password(password, current_app.config["PASSWORD_HASH_METHOD"])
    repository.add(user)
    try:
        db.session.commit()
    except IntegrityError:
        # Another request registered the same e-mail between our check and our insert.
        db.session.rollback()
        raise EmailAlreadyRegistered() from None
    return user


def get_visible_user(viewer: User, user_id: int) -> User:
    """Return user `user_id` if `viewer` may see it; others' accounts look absent (404)."""
    if viewer.id == user_id:
        return viewer
    if not viewer.is_admin:
        raise UserNotFound()
    user = repository.get_by_id(user_id)
    if user is None:
        raise UserNotFound()
    return user


def list_users(page: int, per_page: int) -> UserPage:
    """Return one page of users ordered by id, with the total count."""
    items = repository.page(offset=(page - 1) * per_page, limit=per_page)
    return UserPage(items=items, total=repository.count(), page=page, per_page=per_page)
