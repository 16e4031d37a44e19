"""User use cases: create, look up with visibility rules, list a page, edit, delete."""

from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy.exc import IntegrityError

from app.database.schema import ROLE_ADMIN, ROLE_USER, User
from app.errors.domain import (
    EmailAlreadyRegistered,
    LastAdmin,
    OwnAdminAccount,
    PermissionDenied,
    UserNotFound,
)
from app.extensions import db
from app.modules.account import repository as token_repository
from app.modules.auth import repository as auth_repository
from app.modules.users import repository

# What users may change on their own account; admins may also change `role` and `is_active`.
SELF_EDITABLE = frozenset({"name", "age"})


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


def update_user(actor: User, user_id: int, changes: dict[str, Any]) -> User:
    """Apply `changes` to user `user_id` as `actor` may; deactivation ends its sessions."""
    user = get_visible_user(actor, user_id)
    if not actor.is_admin and changes.keys() - SELF_EDITABLE:
        raise PermissionDenied()
    demoted = changes.get("role", ROLE_ADMIN) != ROLE_ADMIN
    deactivated = changes.get("is_active", True) is False
    if user.is_admin and (demoted or deactivated):
        _keep_an_admin(actor, user)
    if "role" in changes:
        user.role = repository.get_role(changes.pop("role"))
    for name, value in changes.items():
        setattr(user, name, value)
    if deactivated:
        auth_repository.revoke_user_sessions(user.id)
    db.session.commit()
    return user


def delete_user(actor: User, user_id: int) -> None:
    """Delete user `user_id` with its sessions and mailed tokens (`actor` is an admin)."""
    user = repository.get_by_id(user_id)
    if user is None:
        raise UserNotFound()
    if user.is_admin:
        _keep_an_admin(actor, user)
    auth_repository.delete_user_sessions(user.id)
    token_repository.delete_tokens(user.id)
    repository.delete(user)
    db.session.commit()


def _keep_an_admin(actor: User, admin: User) -> None:
    """Refuse to take `admin` away if no other active admin would remain, or if it is `actor`.

    An admin never removes their own rights: a stolen or mistyped request cannot lock the
    account's owner out, and another admin is there to do it.
    """
    if not (set(repository.lock_active_admins()) - {admin.id}):
        db.session.rollback()
        raise LastAdmin()
    if admin.id == actor.id:
        raise OwnAdminAccount()
