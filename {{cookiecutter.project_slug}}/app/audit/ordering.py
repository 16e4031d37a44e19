"""The order in which the export and the seals read events, and how far it is settled.

Every event gets an `order_key` from the database, and a horizon says below which key no
transaction can still add an event; readers take only events below it, in (order_key, id)
order, so a late commit can never land behind a reader (README "Audit log: export and seals").

- PostgreSQL: `order_key` defaults to the writer's transaction id; the horizon is the oldest
  transaction still running (`pg_snapshot_xmin(pg_current_snapshot())`). Nothing is written to
  read, and an open transaction only holds the horizon back.
- MySQL/MariaDB: no column default can name the transaction, so `settle` files the committed
  events that have no key yet under the next batch number, in a short transaction of its own;
  it skips rows still locked by their writer (SKIP LOCKED), so an open transaction is never
  waited for, and batches commit in the order of their numbers (one settler at a time).
- SQLite: one writer at a time, so ids are taken in commit order; a trigger copies the id, and
  every event a reader can see is settled.
"""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, and_, insert, or_, select, update

from app.audit.models import AuditEvent, AuditSettlement
from app.extensions import db

EVENTS = AuditEvent.__table__
SETTLEMENT = AuditSettlement.__table__
UPDATE_CHUNK = 5_000
MAX_KEY = 2**63 - 1


def settled_horizon() -> int:
    """A key below which every event is committed and visible to any later read."""
    dialect = db.engine.dialect.name
    if dialect == "sqlite":
        return MAX_KEY
    if dialect == "postgresql":
        with db.engine.connect() as connection:
            return int(
                connection.exec_driver_sql(
                    "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint"
                ).scalar_one()
            )
    return settle() + 1


def settle() -> int:
    """File the committed events that have no order key under one new batch; the last batch."""
    options: dict[str, Any] = {}
    if db.engine.dialect.name == "mysql":
        # No gap locks: writers inserting meanwhile are never held up.
        options["isolation_level"] = "READ COMMITTED"
    with db.engine.connect().execution_options(**options) as connection, connection.begin():
        last = connection.execute(
            select(SETTLEMENT.c.last_batch).where(SETTLEMENT.c.id == 1).with_for_update()
        ).scalar_one_or_none()
        if last is None:  # the migration's row, emptied along with the table
            connection.execute(insert(SETTLEMENT).values(id=1, last_batch=0))
            last = 0
        waiting = (
            connection.execute(
                select(EVENTS.c.id)
                .where(EVENTS.c.order_key.is_(None))
                .order_by(EVENTS.c.id)
                .with_for_update(skip_locked=True)
            )
            .scalars()
            .all()
        )
        if not waiting:
            return int(last)
        batch = last + 1
        for start in range(0, len(waiting), UPDATE_CHUNK):
            chunk = waiting[start : start + UPDATE_CHUNK]
            connection.execute(update(EVENTS).where(EVENTS.c.id.in_(chunk)).values(order_key=batch))
        connection.execute(update(SETTLEMENT).where(SETTLEMENT.c.id == 1).values(last_batch=batch))
        return int(batch)


def events_after(
    connection: Connection, key: int, event_id: int, horizon: int, limit: int
) -> Sequence[Row[Any]]:
    """Up to `limit` settled events after (`key`, `event_id`) and below `horizon`, in order."""
    return connection.execute(
        select(EVENTS)
        .where(after(key, event_id), EVENTS.c.order_key < horizon)
        .order_by(EVENTS.c.order_key, EVENTS.c.id)
        .limit(limit)
    ).all()


def after(key: int, event_id: int) -> ColumnElement[bool]:
    """Events after (`key`, `event_id`) in the export's order."""
    return or_(EVENTS.c.order_key > key, and_(EVENTS.c.order_key == key, EVENTS.c.id > event_id))
