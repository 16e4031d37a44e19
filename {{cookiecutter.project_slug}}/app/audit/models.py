"""The audit trail: one row per security-relevant event, written with the change it records."""

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    FetchedValue,
    Index,
    Integer,
    String,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.core.database import UTCDateTime, utcnow
from app.extensions import db

# Longest textual IPv6 address (an IPv4-mapped one): 45 characters.
ADDRESS_LENGTH = 45
USER_AGENT_LENGTH = 255
REQUEST_ID_LENGTH = 64


class AuditEvent(db.Model):
    """Who (`actor_id`) did what (`action`) to what (`target_type`, `target_id`), when, from where.

    No foreign keys: an event outlives the account it names. Rows are only ever inserted; the
    mapper refuses to update or delete one (`flask audit purge` deletes in bulk, by age).
    """

    __tablename__ = "audit_events"
    __table_args__ = (
        # Each filter, then newest first: every page is a short walk down one index.
        Index("ix_audit_events_actor_id_id", "actor_id", "id"),
        Index("ix_audit_events_target_type_target_id_id", "target_type", "target_id", "id"),
        Index("ix_audit_events_action_id", "action", "id"),
        # The incremental export's and the seals' order.
        Index("ix_audit_events_order_key_id", "order_key", "id"),
    )

    # SQLite numbers rows only for an INTEGER primary key; elsewhere a table of events outgrows
    # 32 bits long before a table of users does.
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str | None] = mapped_column(String(16))
    target_id: Mapped[int | None] = mapped_column(Integer)
    ip_address: Mapped[str | None] = mapped_column(String(ADDRESS_LENGTH))
    user_agent: Mapped[str | None] = mapped_column(String(USER_AGENT_LENGTH))
    request_id: Mapped[str | None] = mapped_column(String(REQUEST_ID_LENGTH))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Set by the database, never by this code: on PostgreSQL the writer's transaction id (a
    # column default), elsewhere the batch `settle` files the committed event in; None until then.
    order_key: Mapped[int | None] = mapped_column(BigInteger, server_default=FetchedValue())


class AuditSettlement(db.Model):
    """One row: the last batch number `settle` gave (MySQL/MariaDB and SQLite)."""

    __tablename__ = "audit_settlement"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_batch: Mapped[int] = mapped_column(BigInteger)


class AuditSeal(db.Model):
    """A link of the chain: a digest over the events with `order_key` up to `end_key`.

    kind "seal" covers the events after the previous seal's `end_key`; kind "anchor" (left by
    a purge) covers the events of the seal the purge cut through, after (`after_key`, `after_id`).
    """

    __tablename__ = "audit_seals"
    __table_args__ = (UniqueConstraint("previous"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sealed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(8))
    previous: Mapped[str] = mapped_column(String(64))
    after_key: Mapped[int | None] = mapped_column(BigInteger)
    after_id: Mapped[int | None] = mapped_column(BigInteger)
    end_key: Mapped[int] = mapped_column(BigInteger)
    count: Mapped[int] = mapped_column(Integer)
    keyed: Mapped[bool] = mapped_column(Boolean)
    digest: Mapped[str] = mapped_column(String(64))


class AppendOnly(RuntimeError):
    """Raised when code tries to change or delete a recorded event."""


# Mapper events (https://docs.sqlalchemy.org/en/20/orm/events.html#mapper-events).
@event.listens_for(AuditEvent, "before_update")
@event.listens_for(AuditEvent, "before_delete")
def _refuse_changes(*_: object) -> None:
    raise AppendOnly("audit events are append-only")
