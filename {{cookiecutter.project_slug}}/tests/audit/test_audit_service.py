"""The audit service: events ride on the caller's transaction, and stay as written."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.audit import export, seals
from app.audit import service as audit
from app.audit.models import AppendOnly, AuditEvent
from app.extensions import db
from tests.audit.helpers import settle_all

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent))


def add_event(created_at: datetime) -> AuditEvent:
    event = AuditEvent(created_at=created_at, action="auth.logout", details={})
    db.session.add(event)
    db.session.commit()
    return event


def test_an_event_is_written_by_the_callers_commit_and_no_other():
    audit.record("auth.logout", actor_id=1, target=1)
    db.session.rollback()
    audit.record("auth.logout", actor_id=1, target=1)
    db.session.commit()

    assert count() == 1


def test_a_rolled_back_change_takes_its_event_with_it(user):
    user.name = "Changed"
    audit.record("user.role_changed", actor_id=1, target=user.id)

    db.session.rollback()

    assert count() == 1  # only the creation of `user`
    assert db.session.get(type(user), user.id).name != "Changed"


def test_outside_a_request_an_event_has_no_origin():
    audit.record("user.admin_created", target=1)
    db.session.commit()

    event = db.session.scalars(select(AuditEvent)).one()
    assert (event.ip_address, event.user_agent, event.request_id) == (None, None, None)


@pytest.mark.parametrize(
    "details",
    [
        {"password": "x"},
        {"new_password": "x"},
        {"reset_token": "x"},
        {"password_hash": "x"},
        {"reset_link": "x"},
        {"client_secret": "x"},
        {"email": "a@example.com"},
        {"nested": {"a": 1}},
        {"long": "x" * 2000},
    ],
)
def test_details_that_could_carry_a_secret_or_grow_are_refused(details):
    with pytest.raises(ValueError, match="audit detail"):
        audit.record("auth.logout", details=details)


def test_an_unknown_action_is_refused():
    with pytest.raises(ValueError, match=r"auth\.made_up"):
        audit.record("auth.made_up")  # type: ignore[arg-type]


def test_a_stored_event_cannot_be_edited_or_deleted():
    event = add_event(NOW)

    event.action = "auth.login_succeeded"
    with pytest.raises(AppendOnly):
        db.session.commit()
    db.session.rollback()
    db.session.delete(event)
    with pytest.raises(AppendOnly):
        db.session.commit()
    db.session.rollback()
    assert db.session.scalars(select(AuditEvent.action)).one() == "auth.logout"


def test_purge_deletes_only_what_is_older_than_the_period():
    add_event(NOW - timedelta(days=400))
    kept = add_event(NOW - timedelta(days=300))
    settle_all()

    assert seals.purge_before(NOW - timedelta(days=365), None) == 1
    assert db.session.scalars(select(AuditEvent.id)).all() == [kept.id]


def test_purge_works_in_batches(monkeypatch):
    monkeypatch.setattr(seals, "PURGE_BATCH", 2)
    for days in (500, 450, 420, 10):
        add_event(NOW - timedelta(days=days))
    settle_all()

    assert seals.purge_before(NOW - timedelta(days=365), None) == 3
    assert count() == 1


def test_purge_keeps_the_newest_event_however_old():
    add_event(NOW - timedelta(days=500))
    newest = add_event(NOW - timedelta(days=400))
    settle_all()

    assert seals.purge_before(NOW - timedelta(days=365), None) == 1
    assert db.session.scalars(select(AuditEvent.id)).all() == [newest.id]


def test_export_is_oldest_first_and_reads_in_batches(monkeypatch):
    monkeypatch.setattr(export, "BATCH", 2)
    events = [add_event(NOW + timedelta(minutes=n)) for n in range(5)]
    settle_all()

    exported = [item for kind, item in export.Export(export.Cursor()) if kind == "event"]

    assert [event["id"] for event in exported] == [event.id for event in events]
    assert exported[0]["details"] == {}
