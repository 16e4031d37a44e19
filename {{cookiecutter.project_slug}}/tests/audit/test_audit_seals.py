"""`flask audit seal` and `flask audit verify`: an untouched log verifies; each edit made behind
the app's back, by plain SQL, is found and named in one line."""

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from app.audit.models import AuditEvent, AuditSeal
from app.core.database import utcnow
from app.extensions import db
from tests.audit.helpers import audit_cli, settle_all

KEY = "k" * 40
# Every column but the id, order key included: a copy that passes for the original.
COPY_EVENT = """
    INSERT INTO audit_events (created_at, actor_id, action, target_type, target_id, ip_address,
        user_agent, request_id, details, order_key)
    SELECT created_at, actor_id, action, target_type, target_id, ip_address,
        user_agent, request_id, details, order_key
    FROM audit_events WHERE id = :id
"""


def add_events(count: int, age: timedelta = timedelta(0)) -> list[int]:
    events = [
        AuditEvent(created_at=utcnow() - age, action="auth.logout", details={"n": n})
        for n in range(count)
    ]
    db.session.add_all(events)
    db.session.commit()
    ids = [event.id for event in events]
    settle_all()
    return ids


def seal(app) -> str:
    result = audit_cli(app, "seal")
    assert result.exit_code == 0, result.output
    [line] = result.output.splitlines()
    assert line.startswith("head: ")
    return line.removeprefix("head: ")


def seal_ids() -> list[int]:
    db.session.rollback()
    return list(db.session.scalars(db.select(AuditSeal.id).order_by(AuditSeal.id)))


def finding(app, *args: str) -> str:
    """The one line verify prints when it fails."""
    result = audit_cli(app, "verify", *args)
    assert result.exit_code == 1, result.output
    [line] = result.output.splitlines()
    assert line.startswith("Error: ")
    return line


def sql(statement: str, **params: object) -> None:
    db.session.execute(text(statement), params)
    db.session.commit()


def test_an_untouched_log_verifies_to_the_head_seal_printed(app):
    add_events(3)
    head = seal(app)

    result = audit_cli(app, "verify", "--head", head)

    assert (result.exit_code, result.output) == (0, f"verified: head {head}\n")


def test_seal_with_nothing_new_keeps_the_head(app):
    add_events(2)
    head = seal(app)

    assert seal(app) == head


def test_a_changed_action_is_found(app):
    ids = add_events(3)
    seal(app)

    sql("UPDATE audit_events SET action = 'auth.login_succeeded' WHERE id = :id", id=ids[1])

    [seal_id] = seal_ids()
    assert finding(app) == (
        f"Error: seal {seal_id}: its events do not match (events {ids[0]} to {ids[2]}:"
        " 3 found, 3 sealed); one of them was changed, removed or added"
    )


def test_a_deleted_event_is_found(app):
    ids = add_events(3)
    seal(app)

    sql("DELETE FROM audit_events WHERE id = :id", id=ids[1])

    assert "2 found, 3 sealed" in finding(app)


def test_a_copy_of_a_sealed_event_under_a_fresh_id_is_found(app):
    ids = add_events(3)
    seal(app)

    sql(COPY_EVENT, id=ids[0])

    assert "4 found, 3 sealed" in finding(app)


def test_a_deleted_newest_seal_is_found_with_the_head_kept(app):
    add_events(2)
    seal(app)
    add_events(2)
    head = seal(app)

    sql("DELETE FROM audit_seals WHERE digest = :head", head=head)

    assert audit_cli(app, "verify").exit_code == 0  # what is left is consistent
    assert finding(app, "--head", head) == (
        f"Error: head {head}: not in the chain (newest seals removed or replaced)"
    )


def test_a_deleted_seal_in_the_middle_breaks_the_chain(app):
    for _ in range(3):
        add_events(1)
        seal(app)

    _, middle, last = seal_ids()
    sql("DELETE FROM audit_seals WHERE id = :id", id=middle)

    assert finding(app).startswith(f"Error: seal {last}: does not follow the seal before it")


def test_keyed_seals_need_the_key(app, monkeypatch):
    monkeypatch.setitem(app.config, "AUDIT_SEAL_KEY", KEY)
    add_events(2)
    head = seal(app)
    assert audit_cli(app, "verify", "--head", head).exit_code == 0

    monkeypatch.setitem(app.config, "AUDIT_SEAL_KEY", "x" * 40)
    [seal_id] = seal_ids()
    assert f"seal {seal_id}: its events do not match" in finding(app)
    monkeypatch.setitem(app.config, "AUDIT_SEAL_KEY", None)
    assert finding(app) == f"Error: seal {seal_id}: is an HMAC; set AUDIT_SEAL_KEY to verify it"


def export_file(app, tmp_path) -> str:
    path = tmp_path / "audit.jsonl"
    assert audit_cli(app, "export", "--output", str(path)).exit_code == 0
    return str(path)


def test_an_export_carries_its_seals_and_verifies(app, tmp_path):
    add_events(2)
    seal(app)
    add_events(2)
    head = seal(app)

    result = audit_cli(app, "verify", "--file", export_file(app, tmp_path), "--head", head)

    assert (result.exit_code, result.output) == (0, f"verified: head {head}\n")


def test_an_edited_export_is_found(app, tmp_path):
    add_events(2)
    seal(app)
    path = Path(export_file(app, tmp_path))
    first, *rest = path.read_text().splitlines()
    edited = json.loads(first) | {"action": "auth.login_succeeded"}
    path.write_text("\n".join([json.dumps(edited), *rest]) + "\n")

    assert "its events do not match" in finding(app, "--file", str(path))


@pytest.mark.parametrize("content", ["not json\n", '{"seal": {"id": 1}}\n'])
def test_a_file_that_is_no_export_is_one_line_too(app, tmp_path, content):
    path = tmp_path / "bad.jsonl"
    path.write_text(content)

    assert finding(app, "--file", str(path)).startswith("Error: not an export")


def test_purge_keeps_the_chain_checkable(app):
    old = add_events(3, age=timedelta(days=400))
    seal(app)
    kept = add_events(2, age=timedelta(days=400)) + add_events(2)
    head = seal(app)

    result = audit_cli(app, "purge")
    assert result.output == "Purged 5 audit events older than 365 days.\n"

    db.session.rollback()
    assert db.session.scalars(db.select(AuditEvent.id)).all() == kept[2:]
    verified = audit_cli(app, "verify", "--head", head)
    assert verified.exit_code == 0, verified.output
    assert old  # all three went


def test_purge_cutting_through_a_seal_anchors_what_is_left(app):
    add_events(2, age=timedelta(days=400))
    add_events(2)
    seal(app)

    assert audit_cli(app, "purge").output == "Purged 2 audit events older than 365 days.\n"

    assert audit_cli(app, "verify").exit_code == 0
    sql("UPDATE audit_events SET action = 'auth.login_succeeded'")
    assert "its events do not match" in finding(app)
