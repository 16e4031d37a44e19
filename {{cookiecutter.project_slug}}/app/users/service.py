"""User use cases: create, look up with visibility rules, list a page, edit, delete.

Modules that keep data about a user (sessions, mailed links) hear of a deactivation or a
deletion through the signals below (blinker, as Flask's own signals), inside the transaction
that makes the change, so this module depends on none of them.
"""

from dataclasses import dataclass
from typing import Any

from blinker import Namespace
from flask import current_app
from sqlalchemy.exc import IntegrityError

from app.core import events
from app.errors import (
    EmailAlreadyRegistered,
    LastAdmin,
    OwnAdminAccount,
    PermissionDenied,
    UserNotFound,
)
from app.extensions import db
from app.users import repository
from app.users.models import ROLE_ADMIN, ROLE_USER, Actor, User

# The security events these use cases record (app/core/events.py).
USER_CREATED = events.action("user.created")
ROLE_CHANGED = events.action("user.role_changed")
DEACTIVATED = events.action("user.deactivated")
REACTIVATED = events.action("user.reactivated")
DELETED = events.action("user.deleted")

signals = Namespace()
# Sent with the user's id before the commit that deactivates or deletes the account.
user_deactivated = signals.signal("user-deactivated")
user_deleting = signals.signal("user-deleting")

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


def add_user(
    email: str,
    name: str,
    password: str | None = None,
    age: int | None = None,
    role: str = ROLE_USER,
) -> User:
    """Add a user with `role`, its id assigned, for the caller's use case to record and commit.

    A duplicate e-mail (in any letter case) is refused.
    """
    if repository.get_by_email(email) is not None:
        raise EmailAlreadyRegistered()
    user = User(email=email, name=name, age=age, role=repository.get_role(role))
    if password is not None:
        user.set_password(password, current_app.config["PASSWORD_HASH_METHOD"])
    repository.add(user)
    try:
        db.session.flush()
    except IntegrityError:
        # Another request registered the same e-mail between our check and our insert.
        db.session.rollback()
        raise EmailAlreadyRegistered() from None
    return user


def create_user(
    email: str,
    name: str,
    password: str | None = None,
    age: int | None = None,
    role: str = ROLE_USER,
    actor: Actor | None = None,
) -> User:
    """Create a user with `role` on behalf of admin `actor` (None: the command line)."""
    user = add_user(email, name, password, age, role)
    events.record(
        USER_CREATED,
        actor_id=actor.id if actor else None,
        target=user.id,
        details={"role": role},
    )
    db.session.commit()
    return user


def find_user(email: str) -> User | None:
    """The user with this (normalised) e-mail address, if any."""
    return repository.get_by_email(email)


def get_user(user_id: int) -> User | None:
    """The user with this id, if any."""
    return repository.get_by_id(user_id)


def get_visible_user(viewer: Actor, user_id: int) -> Actor | User:
    """Return user `user_id` if `viewer` may see it; others' accounts look absent (404).

    Their own account is the viewer itself, as the token check has just read it.
    """
    if viewer.id == user_id:
        return viewer
    return _editable_user(viewer, user_id)


def account_of(actor: Actor) -> User:
    """The stored account of `actor`, to change it (gone since the token check: 404)."""
    return _editable_user(actor, actor.id)


def _editable_user(actor: Actor, user_id: int) -> User:
    user = repository.get_by_id(user_id) if actor.is_admin or actor.id == user_id else None
    if user is None:
        raise UserNotFound()
    return user


def list_users(page: int, per_page: int) -> UserPage:
    """Return one page of users ordered by id, with the total count."""
    items = repository.page(offset=(page - 1) * per_page, limit=per_page)
    return UserPage(items=items, total=repository.count(), page=page, per_page=per_page)


def update_user(actor: Actor, user_id: int, changes: dict[str, Any]) -> User:
    """Apply `changes` to user `user_id` as `actor` may; deactivation ends its sessions."""
    user = _editable_user(actor, user_id)
    refused = changes.keys() - SELF_EDITABLE
    if not actor.is_admin and refused:
        # An attempt to raise one's own rights is worth a record of its own.
        events.record(
            events.ACCESS_DENIED,
            actor_id=actor.id,
            target=user.id,
            details={"fields": ",".join(sorted(refused))},
        )
        db.session.commit()
        raise PermissionDenied()
    demoted = changes.get("role", ROLE_ADMIN) != ROLE_ADMIN
    deactivated = changes.get("is_active", True) is False
    if user.is_admin and (demoted or deactivated):
        _keep_an_admin(actor, user)
    if "role" in changes and changes["role"] != user.role.name:
        previous = user.role.name
        user.role = repository.get_role(changes["role"])
        _record(ROLE_CHANGED, actor, user, {"from": previous, "to": user.role.name})
    changes.pop("role", None)
    if "is_active" in changes and changes["is_active"] != user.is_active:
        action = REACTIVATED if changes["is_active"] else DEACTIVATED
        _record(action, actor, user)
    for name, value in changes.items():
        setattr(user, name, value)
    if deactivated:
        user_deactivated.send(user.id)
    db.session.commit()
    return user


def promote(user: User) -> None:
    """Give `user` the admin role (committed by the caller's use case)."""
    user.role = repository.get_role(ROLE_ADMIN)


def delete_user(actor: Actor, user_id: int) -> None:
    """Delete user `user_id` with everything kept about it (`actor` is an admin)."""
    user = repository.get_by_id(user_id)
    if user is None:
        raise UserNotFound()
    if user.is_admin:
        _keep_an_admin(actor, user)
    user_deleting.send(user.id)
    repository.delete(user)
    # The event outlives the account: it keeps the id, never the address.
    _record(DELETED, actor, user)
    db.session.commit()


def _record(action: str, actor: Actor, user: User, details: dict[str, str] | None = None) -> None:
    events.record(action, actor_id=actor.id, target=user.id, details=details)


def _keep_an_admin(actor: Actor, admin: User) -> None:
    """Refuse to take `admin` away if no other active admin would remain, or if it is `actor`.

    An admin never removes their own rights: a stolen or mistyped request cannot lock the
    account's owner out, and another admin is there to do it.
    """
    if not (set(repository.lock_active_admins()) - {admin.id}):
        db.session.rollback()
        raise LastAdmin()
    if admin.id == actor.id:
        raise OwnAdminAccount()
