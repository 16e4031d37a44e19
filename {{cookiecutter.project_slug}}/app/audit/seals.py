"""Tamper evidence: seals chain a digest over the settled events, and verify recomputes them.

A seal hashes (SHA-256, or HMAC-SHA-256 with AUDIT_SEAL_KEY) the previous seal's digest and
every event after the previous seal up to a settled order key, so changing, removing or adding
a sealed event, or a seal, breaks the chain from there on. Recording an event does nothing
more than before: seals are made later, by `flask audit seal`.
"""

import hashlib
import hmac
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.orm import Session

from app.audit import ordering
from app.audit.export import START_KEY, canonical, record
from app.audit.models import AuditEvent, AuditSeal
from app.core.database import utcnow
from app.extensions import db

GENESIS = "0" * 64
SEAL = "seal"
ANCHOR = "anchor"
EVENTS = ordering.EVENTS
PURGE_BATCH = 10_000
SEAL_FIELDS = (
    "id",
    "kind",
    "previous",
    "after_key",
    "after_id",
    "end_key",
    "count",
    "keyed",
    "digest",
)


class ChainBroken(Exception):
    """The first finding of verify, as one line."""


@dataclass(frozen=True)
class Link:
    """What a seal or anchor commits to besides its events."""

    kind: str
    previous: str
    end_key: int
    after_key: int | None = None
    after_id: int | None = None


def digest(link: Link, events: Iterable[dict[str, Any]], key: bytes | None) -> tuple[str, int]:
    """The link's digest over `events` (records as exported), and how many there were."""
    hashed = hashlib.sha256(canonical(link.__dict__) + b"\n")
    count = 0
    for event in events:
        hashed.update(canonical(event) + b"\n")
        count += 1
    hashed.update(f"count:{count}".encode())
    if key is None:
        return hashed.hexdigest(), count
    return hmac.new(key, hashed.digest(), hashlib.sha256).hexdigest(), count


def seal(key: bytes | None) -> str:
    """Seal the events settled since the last seal; the chain's head (unchanged if none)."""
    horizon = ordering.settled_horizon()
    # A session of its own, begun after settling: the caller's may read an older snapshot.
    with Session(db.engine) as session:
        return _seal(session, horizon, key)


def _seal(session: Session, horizon: int, key: bytes | None) -> str:
    newest = _newest(session)
    previous = newest.digest if newest else GENESIS
    start = _sealed_through(session)
    end = session.scalar(
        select(func.max(AuditEvent.order_key)).where(
            AuditEvent.order_key > start, AuditEvent.order_key < horizon
        )
    )
    if end is None:
        return previous
    link = Link(SEAL, previous, end_key=end)
    value, count = digest(link, _records(start, end), key)
    _append(session, link, value, count, key)
    return value


def purge_before(cutoff: Any, key: bytes | None) -> int:
    """Delete the oldest sealed events created before `cutoff`, keeping the chain checkable.

    What goes is the longest run of events, in the export's order, that are all older than
    `cutoff` and sealed, never the newest event; an anchor appended first seals what is left
    of the seal the purge cuts through, so verify can still check it.
    """
    seal(key)
    with Session(db.engine) as session:
        return _purge(session, cutoff, key)


def _purge(session: Session, cutoff: Any, key: bytes | None) -> int:
    through = _sealed_through(session)
    young = session.execute(
        select(AuditEvent.order_key, AuditEvent.id)
        .where(
            AuditEvent.order_key.is_not(None),
            or_(AuditEvent.created_at >= cutoff, AuditEvent.order_key > through),
        )
        .order_by(AuditEvent.order_key, AuditEvent.id)
        .limit(1)
    ).first() or _newest_event(session)
    last = session.execute(
        select(AuditEvent.order_key, AuditEvent.id)
        .where(AuditEvent.order_key <= through, *([_before(*young)] if young else []))
        .order_by(AuditEvent.order_key.desc(), AuditEvent.id.desc())
        .limit(1)
    ).first()
    if last is None:
        return 0
    cut = session.scalars(
        select(AuditSeal)
        .where(AuditSeal.kind == SEAL, AuditSeal.end_key >= last.order_key)
        .order_by(AuditSeal.end_key)
        .limit(1)
    ).one()
    newest = _newest(session)
    link = Link(ANCHOR, newest.digest if newest else GENESIS, cut.end_key, *last)
    value, count = digest(link, _records_after(last.order_key, last.id, cut.end_key), key)
    _append(session, link, value, count, key)
    purged = 0
    while ids := session.scalars(
        select(AuditEvent.id)
        .where(_before(last.order_key, last.id + 1))
        .order_by(AuditEvent.order_key, AuditEvent.id)
        .limit(PURGE_BATCH)
    ).all():
        purged += len(ids)
        session.execute(delete(AuditEvent).where(AuditEvent.id.in_(ids)))
        session.commit()
    return purged


def verify(key: bytes | None, head: str | None = None) -> str:
    """Recompute every seal against the table; the head, or ChainBroken naming what fails."""
    with Session(db.engine) as session:
        seals = list(session.scalars(select(AuditSeal).order_by(AuditSeal.id)))
    anchor = next((s for s in reversed(seals) if s.kind == ANCHOR), None)
    previous, start = GENESIS, START_KEY
    for index, seal_row in enumerate(seals):
        _check_link(seal_row, previous, key, seals[:index])
        if seal_row.kind == SEAL:
            if anchor is None or seal_row.end_key > anchor.end_key:
                _check_digest(seal_row, _records(start, seal_row.end_key), key)
            start = seal_row.end_key
        elif seal_row is anchor:
            events = _records_after(seal_row.after_key, seal_row.after_id, seal_row.end_key)
            _check_digest(seal_row, events, key)
        previous = seal_row.digest
    _check_head(head, [s.digest for s in seals])
    return previous


def verify_file(lines: Iterable[dict[str, Any]], key: bytes | None, head: str | None) -> str:
    """Verify an export: each seal in it against the events before it in the same file."""
    events: list[dict[str, Any]] = []
    previous: str | None = None
    start: int | None = None
    heads = []
    for line in lines:
        if "seal" in line:
            try:
                row = AuditSeal(**{name: line["seal"][name] for name in SEAL_FIELDS})
            except (KeyError, TypeError):
                raise ChainBroken("not an export: a seal line lacks its fields") from None
            if previous is not None and row.previous != previous:
                raise ChainBroken(f"seal {row.id}: does not follow the seal before it")
            if row.kind == SEAL:
                lower = START_KEY if start is None else start
                covered = [e for e in events if lower < e["order_key"] <= row.end_key]
                _check_digest(row, covered, key)
                events = [e for e in events if e["order_key"] > row.end_key]
                start = row.end_key
            previous = row.digest
            heads.append(row.digest)
        elif "id" in line:
            events.append(line)
    _check_head(head, heads)
    return previous or GENESIS


def _check_link(row: AuditSeal, previous: str, key: bytes | None, before: list[AuditSeal]) -> None:
    if row.previous != previous:
        raise ChainBroken(f"seal {row.id}: does not follow the seal before it (a seal is missing)")
    if row.keyed and key is None:
        raise ChainBroken(f"seal {row.id}: is an HMAC; set AUDIT_SEAL_KEY to verify it")
    if not row.keyed and any(s.keyed for s in before):
        raise ChainBroken(f"seal {row.id}: is not keyed, though an earlier seal is")


def _check_digest(row: AuditSeal, events: Iterable[dict[str, Any]], key: bytes | None) -> None:
    link = Link(row.kind, row.previous, row.end_key, row.after_key, row.after_id)
    seen: list[int] = []

    def tracked() -> Iterator[dict[str, Any]]:
        for event in events:
            seen.append(event["id"])
            yield event

    value, count = digest(link, tracked(), key if row.keyed else None)
    if value == row.digest and count == row.count:
        return
    span = f"events {seen[0]} to {seen[-1]}" if seen else "no events"
    raise ChainBroken(
        f"seal {row.id}: its events do not match ({span}: {count} found, {row.count} sealed);"
        " one of them was changed, removed or added"
    )


def _check_head(head: str | None, digests: list[str]) -> None:
    if head is not None and head not in digests:
        raise ChainBroken(f"head {head}: not in the chain (newest seals removed or replaced)")


def _records(start: int, end: int) -> Iterator[dict[str, Any]]:
    """The events a seal over (`start`, `end`] covers, in order."""
    return _records_where(EVENTS.c.order_key > start, EVENTS.c.order_key <= end)


def _records_after(key: int | None, event_id: int | None, end: int) -> Iterator[dict[str, Any]]:
    """The events an anchor covers: after (`key`, `event_id`), up to `end`, in order."""
    if key is None or event_id is None:
        raise ChainBroken("an anchor does not say where its purge stopped")
    return _records_where(ordering.after(key, event_id), EVENTS.c.order_key <= end)


def _records_where(*conditions: Any) -> Iterator[dict[str, Any]]:
    with db.engine.connect() as connection:
        rows = connection.execution_options(yield_per=ordering.UPDATE_CHUNK).execute(
            select(EVENTS).where(*conditions).order_by(EVENTS.c.order_key, EVENTS.c.id)
        )
        yield from (record(row) for row in rows)


def _before(key: int, event_id: int) -> Any:
    return or_(
        AuditEvent.order_key < key, and_(AuditEvent.order_key == key, AuditEvent.id < event_id)
    )


def _newest_event(session: Session) -> Any:
    # Never purged: SQLite would hand its id, and so its order key, out again.
    return session.execute(
        select(AuditEvent.order_key, AuditEvent.id)
        .where(AuditEvent.order_key.is_not(None))
        .order_by(AuditEvent.order_key.desc(), AuditEvent.id.desc())
        .limit(1)
    ).first()


def _newest(session: Session) -> AuditSeal | None:
    return session.scalars(select(AuditSeal).order_by(AuditSeal.id.desc()).limit(1)).first()


def _sealed_through(session: Session) -> int:
    row = session.scalars(
        select(AuditSeal.end_key).where(AuditSeal.kind == SEAL).order_by(AuditSeal.id.desc())
    ).first()
    return START_KEY if row is None else row


def _append(session: Session, link: Link, value: str, count: int, key: bytes | None) -> None:
    session.add(
        AuditSeal(
            sealed_at=utcnow(),
            kind=link.kind,
            previous=link.previous,
            after_key=link.after_key,
            after_id=link.after_id,
            end_key=link.end_key,
            count=count,
            keyed=key is not None,
            digest=value,
        )
    )
    session.commit()
