"""`flask audit purge`; the events `flask users create-admin` leaves (export and seals:
test_audit_export.py, test_audit_seals.py)."""

from datetime import timedelta

from sqlalchemy import select

from app.audit.models import AuditEvent
from app.core.database import utcnow
from app.extensions import db
from app.users.models import ROLE_ADMIN
from tests.audit.helpers import settle_all


def add_event(age: timedelta, action: str = "auth.logout") -> int:
    event = AuditEvent(created_at=utcnow() - age, action=action, details={"reason": "x"})
    db.session.add(event)
    db.session.commit()
    settle_all()
    return event.id


def audit(app, *args):
    return app.test_cli_runner().invoke(args=["audit", *args])


def test_purge_keeps_the_configured_number_of_days(app):
    add_event(timedelta(days=366))
    add_event(timedelta(days=364))

    result = audit(app, "purge")

    assert result.exit_code == 0, result.output
    assert result.output == "Purged 1 audit event older than 365 days.\n"


def test_purge_older_than_overrides_the_setting(app):
    add_event(timedelta(days=31))
    add_event(timedelta(days=40))
    add_event(timedelta(days=1))

    result = audit(app, "purge", "--older-than", "30")

    assert result.output == "Purged 2 audit events older than 30 days.\n"


def test_purge_refuses_zero_days(app):
    assert audit(app, "purge", "--older-than", "0").exit_code != 0


def test_create_admin_records_a_creation_then_a_promotion(app, user):
    runner = app.test_cli_runner()
    base = ["users", "create-admin", "--name", "Root", "--password", "password123"]
    runner.invoke(args=[*base, "--email", "root@example.com"])
    runner.invoke(args=[*base, "--email", user.email])

    rows = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action.like("user.admin_%")).order_by(AuditEvent.id)
    ).all()
    assert [(row.action, row.actor_id, row.details) for row in rows] == [
        ("user.admin_created", None, {"via": "cli"}),
        ("user.admin_promoted", None, {"via": "cli", "new_credentials": True}),
    ]
    assert rows[1].target_id == user.id
    db.session.expire_all()
    assert user.role.name == ROLE_ADMIN
