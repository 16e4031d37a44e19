"""Audit use cases: record an event with the change it belongs to, and read the trail a page at a
time (export.py exports it, seals.py seals, verifies and purges it).

`record` only adds the event to the session: the use case that made the change commits both,
so a change never lands without its event and a rolled-back change leaves none. Nothing here
edits or deletes a single event (models.py refuses it).
"""

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from app.audit import repository
from app.audit.context import current_origin
from app.audit.errors import InvalidCursor
from app.audit.models import USER_AGENT_LENGTH, AuditEvent
from app.core import events
from app.core.database import utcnow

Detail = events.Detail
# Details say what changed (a role, a reason), never a credential: a key naming one is refused.
FORBIDDEN_KEYS = ("password", "token", "hash", "secret", "link", "url", "email")
MAX_DETAILS_CHARS = 1024
MAX_EVENT_ID = 2**63 - 1


@dataclass(frozen=True)
class Event:
    """An event as a reader sees it (a copy: nothing done to it reaches the database)."""

    id: int
    created_at: datetime
    action: str
    actor_id: int | None
    target_type: str | None
    target_id: int | None
    ip_address: str | None
    user_agent: str | None
    request_id: str | None
    details: dict[str, Any]


@dataclass(frozen=True)
class EventPage:
    items: list[Event]
    next_cursor: str | None


def record(
    action: str,
    *,
    actor_id: int | None = None,
    target: int | None = None,
    target_type: str = events.USER,
    details: Mapping[str, Detail] | None = None,
) -> None:
    """Add an event to the current transaction; the caller's use case commits it.

    Use cases call `app.core.events.record`, which reaches this through its signal.

    `actor_id` is the account the request acted as (by password, token or mailed link), None
    when it was anonymous or came from the CLI; `target` the id of the account acted on.
    """
    if action not in events.ACTIONS:
        raise ValueError(f"undeclared security event {action!r}")
    details = dict(details or {})
    _check_details(details)
    origin = current_origin()
    user_agent = origin.user_agent[:USER_AGENT_LENGTH] if origin.user_agent else None
    repository.add(
        AuditEvent(
            created_at=utcnow(),
            actor_id=actor_id,
            action=action,
            target_type=target_type if target is not None else None,
            target_id=target,
            ip_address=origin.ip_address,
            user_agent=user_agent,
            request_id=origin.request_id,
            details=details,
        )
    )


def list_events(
    limit: int,
    cursor: str | None = None,
    *,
    actor_id: int | None = None,
    target_user_id: int | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> EventPage:
    """One page of the whole trail, newest first, narrowed by the filters given."""
    rows = repository.newest_first(
        limit + 1,
        _decode(cursor),
        actor_id=actor_id,
        target_user_id=target_user_id,
        action=action,
        since=since,
        until=until,
    )
    return _paginate([_as_event(row) for row in rows], limit)


def own_events(user_id: int, limit: int, cursor: str | None = None) -> EventPage:
    """One page of what user `user_id` did and what was done to their account, newest first.

    Where someone else acted (an admin, an anonymous caller) their address and browser are left
    out: the owner sees only their own.
    """
    rows = repository.involving(user_id, limit + 1, _decode(cursor))
    events = [_as_event(row) for row in rows]
    shown = [
        event if event.actor_id == user_id else replace(event, ip_address=None, user_agent=None)
        for event in events
    ]
    return _paginate(shown, limit)


@events.security_event.connect
def _record_event(action: str, **event: Any) -> None:
    # In the transaction of the change that sent it: the use case's commit keeps both.
    record(action, **event)


def _check_details(details: dict[str, Detail]) -> None:
    for key, value in details.items():
        if any(word in key.lower() for word in FORBIDDEN_KEYS):
            raise ValueError(f"audit details must not carry {key!r}")
        if not isinstance(value, str | int | bool | None):
            raise ValueError(f"audit detail {key!r} must be a string, number, boolean or null")
    if len(json.dumps(details)) > MAX_DETAILS_CHARS:
        raise ValueError(f"audit details are limited to {MAX_DETAILS_CHARS} characters")


def _as_event(row: AuditEvent) -> Event:
    return Event(
        id=row.id,
        created_at=row.created_at,
        action=row.action,
        actor_id=row.actor_id,
        target_type=row.target_type,
        target_id=row.target_id,
        ip_address=row.ip_address,
        user_agent=row.user_agent,
        request_id=row.request_id,
        details=dict(row.details or {}),
    )


def _paginate(events: list[Event], limit: int) -> EventPage:
    """`events` holds up to one more than a page: its presence says a next page exists."""
    if len(events) <= limit:
        return EventPage(items=events, next_cursor=None)
    page = events[:limit]
    return EventPage(items=page, next_cursor=encode_cursor(page[-1].id))


def encode_cursor(event_id: int) -> str:
    """The cursor of the page after event `event_id`: opaque to clients, so the paging key can
    change without breaking them."""
    return base64.urlsafe_b64encode(f"e:{event_id}".encode()).decode().rstrip("=")


def _decode(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, number = text.split(":")
        event_id = int(number)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidCursor() from None
    if prefix != "e" or not 0 < event_id <= MAX_EVENT_ID:
        raise InvalidCursor()
    return event_id
