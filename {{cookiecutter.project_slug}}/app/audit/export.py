"""The incremental export: every settled event once, in order, with the seals over them.

A cursor is where the last export stopped: the last event's (order_key, id) and the last seal
sent. Each call sends what came after it and the cursor to pass next time.
"""

import base64
import binascii
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, select

from app.audit import ordering
from app.audit.errors import InvalidCursor
from app.audit.models import AuditSeal
from app.extensions import db

BATCH = 1_000
START_KEY = -1
SEALS = AuditSeal.__table__
MAX_NUMBER = 2**63 - 1


@dataclass(frozen=True)
class Cursor:
    key: int = START_KEY
    event_id: int = 0
    seal_id: int = 0

    def encode(self) -> str:
        text = f"x:{self.key}:{self.event_id}:{self.seal_id}"
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, cursor: str | None) -> "Cursor":
        if not cursor:
            return cls()
        try:
            text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
            prefix, *parts = text.split(":")
            numbers = [int(part) for part in parts]
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise InvalidCursor() from None
        if prefix != "x" or len(numbers) != 3:
            raise InvalidCursor()
        if not all(START_KEY <= number <= MAX_NUMBER for number in numbers):
            raise InvalidCursor()
        return cls(*numbers)


def record(row: Row[Any]) -> dict[str, Any]:
    """An event as exported and as sealed: the same fields, so a file verifies like the table."""
    return {
        "id": row.id,
        "order_key": row.order_key,
        "created_at": row.created_at.isoformat(),
        "action": row.action,
        "actor_id": row.actor_id,
        "target_type": row.target_type,
        "target_id": row.target_id,
        "ip_address": row.ip_address,
        "user_agent": row.user_agent,
        "request_id": row.request_id,
        "details": dict(row.details or {}),
    }


def seal_record(seal: Row[Any]) -> dict[str, Any]:
    return {
        "id": seal.id,
        "kind": seal.kind,
        "previous": seal.previous,
        "after_key": seal.after_key,
        "after_id": seal.after_id,
        "end_key": seal.end_key,
        "count": seal.count,
        "keyed": seal.keyed,
        "digest": seal.digest,
    }


def canonical(item: dict[str, Any]) -> bytes:
    return json.dumps(item, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


class Export:
    """One run: iterate it for ("event" | "seal", record) pairs, then read `cursor`."""

    def __init__(self, after: Cursor, limit: int | None = None) -> None:
        self.cursor = after
        self.limit = limit

    def __iter__(self) -> Iterator[tuple[str, dict[str, Any]]]:
        horizon = ordering.settled_horizon()
        sent = 0
        # A connection of its own, begun after settling: the caller's session may read an
        # older snapshot (MySQL's repeatable read).
        with db.engine.connect() as connection:
            pending = list(
                connection.execute(
                    select(SEALS)
                    .where(SEALS.c.id > self.cursor.seal_id, SEALS.c.end_key < horizon)
                    .order_by(SEALS.c.id)
                )
            )
            while self.limit is None or sent < self.limit:
                size = BATCH if self.limit is None else min(BATCH, self.limit - sent)
                rows = ordering.events_after(
                    connection, self.cursor.key, self.cursor.event_id, horizon, size
                )
                for row in rows:
                    # A seal goes out once every event it covers has.
                    while pending and pending[0].end_key < row.order_key:
                        yield from self._seal(pending.pop(0))
                    self.cursor = Cursor(row.order_key, row.id, self.cursor.seal_id)
                    sent += 1
                    yield "event", record(row)
                if len(rows) < size:
                    while pending:
                        yield from self._seal(pending.pop(0))
                    return

    def _seal(self, seal: Row[Any]) -> Iterator[tuple[str, dict[str, Any]]]:
        self.cursor = Cursor(self.cursor.key, self.cursor.event_id, seal.id)
        yield "seal", seal_record(seal)
