"""Queries for audit events. Nothing here commits, and nothing here updates an event."""

from datetime import datetime

from sqlalchemy import Select, or_, select

from app.audit.models import AuditEvent
from app.extensions import db

USER = "user"


def add(event: AuditEvent) -> None:
    db.session.add(event)


def newest_first(
    limit: int,
    before_id: int | None = None,
    *,
    actor_id: int | None = None,
    target_user_id: int | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[AuditEvent]:
    """Up to `limit` events older than event `before_id`, newest first, matching every filter."""
    query = _page(limit, before_id)
    if actor_id is not None:
        query = query.where(AuditEvent.actor_id == actor_id)
    if target_user_id is not None:
        query = query.where(AuditEvent.target_type == USER, AuditEvent.target_id == target_user_id)
    if action is not None:
        query = query.where(AuditEvent.action == action)
    if since is not None:
        query = query.where(AuditEvent.created_at >= since)
    if until is not None:
        query = query.where(AuditEvent.created_at < until)
    return list(db.session.scalars(query))


def involving(user_id: int, limit: int, before_id: int | None = None) -> list[AuditEvent]:
    """Up to `limit` events that user `user_id` made or underwent, newest first."""
    query = _page(limit, before_id).where(
        or_(
            AuditEvent.actor_id == user_id,
            (AuditEvent.target_type == USER) & (AuditEvent.target_id == user_id),
        )
    )
    return list(db.session.scalars(query))


def _page(limit: int, before_id: int | None) -> Select[tuple[AuditEvent]]:
    query = select(AuditEvent)
    if before_id is not None:
        query = query.where(AuditEvent.id < before_id)
    return query.order_by(AuditEvent.id.desc()).limit(limit)
