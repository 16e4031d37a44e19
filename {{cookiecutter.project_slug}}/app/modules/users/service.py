"""User use cases: create, look up with visibility rules, list a page, manage admins."""

from dataclasses import dataclass

from flask import current_app
from sqlalchemy.exc import IntegrityError

from app.database.schema import ROLE_ADMIN, ROLE_USER, User
from app.errors.domain import EmailAlreadyRegistered, UserNotFound
from app.extensions import db
from app.modules.auth import repository as auth_repository
from app.modules.auth.principal import Principal
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


def get_visible_user(viewer: Principal | User, user_id: int) -> Principal | User:
    """Return user `user_id` if `viewer` may see it; others' accounts look absent (404).

    Your own account comes from the request's session check, already read: no second query.
    """
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


def make_admin(email: str, name: str, password: str | None) -> tuple[User, bool]:
    """Create an admin, or promote the existing user with this e-mail; True if created."""
    user = repository.get_by_email(email)
    if user is None:
        return create_user(email, name, password, role=ROLE_ADMIN), True
    user.role = repository.get_role(ROLE_ADMIN)
    user.name = name
    if password is not None:
        user.set_password(password, current_app.config["PASSWORD_HASH_METHOD"])
        # A new password ends every session started with the old one.
        auth_repository.revoke_user_sessions(user.id)
    db.session.commit()
    return user, False
