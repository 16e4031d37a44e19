"""API key use cases: create a key (shown once), list and revoke keys, and find the user a key
acts as on each request.

A key is API_KEY_PREFIX plus 40 random letters and digits; only its SHA-256 is stored. Every
function that reads the clock takes `now` so tests can move it; callers leave it out.
"""

import hashlib
import secrets
import string
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app

from app.apikeys import repository
from app.apikeys.errors import ApiKeyNotFound
from app.apikeys.models import ApiKey
from app.core import events
from app.core.database import utcnow
from app.errors import UserNotFound
from app.extensions import db
from app.users import service as users
from app.users.models import Actor

# The security events these use cases record (app/core/events.py).
API_KEY_CREATED = events.action("api_key.created")
API_KEY_REVOKED = events.action("api_key.revoked")
API_KEY_NEW_ADDRESS = events.action("api_key.used_from_new_address")

ALPHABET = string.ascii_letters + string.digits
RANDOM_LENGTH = 40  # about 238 bits
SHOWN_LENGTH = 4  # random characters kept in `prefix`, to tell keys apart in a list
# `last_used_at` is written at most this often per key, not on every request.
USE_RECORDED_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class NewKey:
    key: ApiKey
    secret: str


def create_key(
    user_id: int, name: str, expires_in_days: int | None = None, now: datetime | None = None
) -> NewKey:
    """Create a key for the user; the key itself is in the answer, and nowhere else."""
    now = now or utcnow()
    secret = current_app.config["API_KEY_PREFIX"] + "".join(
        secrets.choice(ALPHABET) for _ in range(RANDOM_LENGTH)
    )
    expires_at = now + timedelta(days=expires_in_days) if expires_in_days else None
    key = ApiKey(
        user_id=user_id,
        name=name,
        prefix=secret[: len(current_app.config["API_KEY_PREFIX"]) + SHOWN_LENGTH],
        key_hash=hash_key(secret),
        created_at=now,
        expires_at=expires_at,
    )
    repository.add(key)
    db.session.flush()
    events.record(API_KEY_CREATED, actor_id=user_id, target=user_id, details={"key_id": key.id})
    db.session.commit()
    return NewKey(key=key, secret=secret)


def list_keys(user_id: int) -> list[ApiKey]:
    """The user's keys that are not revoked, newest first (expired ones too)."""
    if users.get_user(user_id) is None:
        raise UserNotFound()
    return repository.unrevoked(user_id)


def revoke_key(actor_id: int, user_id: int, key_id: int, now: datetime | None = None) -> None:
    """Revoke key `key_id` of user `user_id` (as the owner or an admin): it stops at once."""
    key = repository.unrevoked_key(user_id, key_id)
    if key is None:
        raise ApiKeyNotFound()
    key.revoked_at = now or utcnow()
    events.record(API_KEY_REVOKED, actor_id=actor_id, target=user_id, details={"key_id": key_id})
    db.session.commit()


def authenticate(secret: str, address: str | None, now: datetime | None = None) -> Actor | None:
    """The active user key `secret` acts as, or None for an unknown, revoked or expired key:
    the same `Actor` an access token gives (app/auth/service.py `user_of_session`).

    Records when the key was last used (at most once a minute) and from where; a use from an
    address the key has not been used from is a security event.
    """
    now = now or utcnow()
    found = repository.live_key_and_user(hash_key(secret), now)
    if found is None:
        return None
    key, user = found
    changed = False
    if key.last_used_at is None or now - key.last_used_at >= USE_RECORDED_EVERY:
        key.last_used_at = now
        changed = True
    if address is not None and address != key.last_used_address:
        if key.last_used_address is not None:
            events.record(
                API_KEY_NEW_ADDRESS,
                actor_id=user.id,
                target=user.id,
                details={"key_id": key.id},
            )
        key.last_used_address = address
        changed = True
    acting = Actor.of(user)
    if changed:
        db.session.commit()
    return acting


def hash_key(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@users.user_deactivated.connect
def _revoke_keys(user_id: int) -> None:
    repository.revoke_all(user_id, utcnow())


@users.user_deleting.connect
def _delete_keys(user_id: int) -> None:
    repository.delete_all(user_id)
