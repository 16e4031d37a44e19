"""The incremental export (`flask audit export --after`, GET /audit-events/feed): every committed
event exactly once, in order, whatever the transactions do, on the test database in use."""

import json
import threading
import time
from http import HTTPStatus

from sqlalchemy import Engine, insert
from sqlalchemy.exc import OperationalError

from app.audit.models import AuditEvent
from app.core.database import utcnow
from app.extensions import db
from tests.audit.helpers import PATIENCE_SECONDS, audit_cli, settle_all

EVENTS = AuditEvent.__table__


def write_event(engine: Engine, action: str = "auth.logout") -> int:
    with engine.begin() as connection:
        return connection.execute(insert(EVENTS).values(**row(action))).inserted_primary_key[0]


def row(action: str = "auth.logout") -> dict:
    return {"created_at": utcnow(), "action": action, "details": {}}


def export(app, after: str | None = None) -> tuple[list[dict], str]:
    """One `flask audit export` run: its events, and the cursor for the next."""
    args = ["export"] + (["--after", after] if after else [])
    result = audit_cli(app, *args)
    assert result.exit_code == 0, result.output
    *lines, last = [json.loads(line) for line in result.output.splitlines()]
    return [line for line in lines if "seal" not in line], last["cursor"]


def test_export_writes_each_event_then_the_cursor(app):
    first = write_event(db.engine)
    settle_all()

    events, cursor = export(app)

    assert [(event["id"], event["action"]) for event in events] == [(first, "auth.logout")]
    assert events[0]["created_at"].endswith("+00:00")
    assert cursor


def test_export_after_a_cursor_sends_only_what_came_since(app):
    write_event(db.engine)
    settle_all()
    _, cursor = export(app)
    second = write_event(db.engine)
    settle_all()

    events, cursor = export(app, cursor)
    again, _ = export(app, cursor)

    assert ([event["id"] for event in events], again) == ([second], [])


def test_export_refuses_a_cursor_it_did_not_write(app):
    result = audit_cli(app, "export", "--after", "not-a-cursor")

    assert result.exit_code == 2
    assert "Invalid cursor" in result.output


def test_the_feed_pages_oldest_first_with_a_cursor(client, admin_headers):
    # The admin's creation and login are events already.
    settle_all()
    first = client.get("/audit-events/feed", query_string={"limit": 1}, headers=admin_headers)
    rest = client.get(
        "/audit-events/feed", query_string={"after": first.json["cursor"]}, headers=admin_headers
    )

    assert first.status_code == HTTPStatus.OK
    ids = [event["id"] for event in first.json["events"] + rest.json["events"]]
    assert ids == sorted(ids) and len(ids) == len(set(ids)) >= 2
    assert len(first.json["events"]) == 1


def test_the_feed_refuses_a_bad_cursor(client, admin_headers):
    response = client.get("/audit-events/feed?after=bm9wZQ", headers=admin_headers)

    assert response.status_code == HTTPStatus.BAD_REQUEST


def test_the_feed_is_for_admins(client, user_headers):
    response = client.get("/audit-events/feed", headers=user_headers)

    assert response.status_code == HTTPStatus.FORBIDDEN


def poll(app, cursor: str | None, seen: list[int]) -> str:
    events, cursor = export(app, cursor)
    seen.extend(event["id"] for event in events)
    return cursor


def poll_until(app, cursor: str | None, seen: list[int], count: int) -> str:
    deadline = time.monotonic() + PATIENCE_SECONDS
    cursor = poll(app, cursor, seen)
    while len(seen) < count and time.monotonic() < deadline:
        cursor = poll(app, cursor, seen)
    return cursor


def test_a_transaction_that_commits_last_with_the_lower_id_is_read_once(app):
    """On PostgreSQL and MySQL the lower id commits last; SQLite runs one writer at a time, so
    there the second writer waits, and the reader, polling meanwhile, is not held up."""
    engine = db.engine
    seen: list[int] = []
    cursor = poll(app, None, seen)
    slow = engine.connect()
    transaction = slow.begin()
    low = slow.execute(insert(EVENTS).values(**row())).inserted_primary_key[0]
    fast: list[int] = []
    writer = threading.Thread(target=lambda: fast.append(write_event(engine)))
    writer.start()
    writer.join(timeout=1 if engine.dialect.name == "sqlite" else 30)
    for _ in range(3):
        cursor = poll(app, cursor, seen)
    assert low not in seen
    transaction.commit()
    slow.close()
    writer.join()
    poll_until(app, cursor, seen, 2)

    assert sorted(seen) == sorted([low, fast[0]])
    assert len(seen) == len(set(seen))
    if engine.dialect.name != "sqlite":
        assert fast[0] > low


def test_a_reader_polling_during_many_writers_reads_the_whole_table_once(app):
    engine = db.engine
    writers, per_writer = 4, 500
    done = threading.Event()

    def write(seed: int) -> None:
        written = 0
        while written < per_writer:
            # Transactions of 1 to 5 events, so the writers' commits interleave unevenly.
            size = min(1 + (written + seed) % 5, per_writer - written)
            try:
                with engine.begin() as connection:
                    connection.execute(insert(EVENTS), [row() for _ in range(size)])
            except OperationalError:
                # SQLite: the writer waited past its busy timeout (a reader polling without
                # pause can starve it), and its transaction rolled back: write it again.
                if engine.dialect.name != "sqlite":
                    raise
                continue
            written += size

    threads = [threading.Thread(target=write, args=(seed,)) for seed in range(writers)]
    for thread in threads:
        thread.start()
    seen: list[int] = []
    cursor = None
    while not done.is_set():
        if not any(thread.is_alive() for thread in threads):
            done.set()
        cursor = poll(app, cursor, seen)
    poll_until(app, cursor, seen, writers * per_writer)

    db.session.rollback()  # a fresh snapshot (MySQL's repeatable read)
    table = set(db.session.scalars(db.select(AuditEvent.id)))
    assert len(table) == writers * per_writer
    assert len(seen) == len(set(seen))
    assert set(seen) == table
