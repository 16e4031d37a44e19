"""The audit log's periodic jobs, run by their tasks' own functions in the test process: the
retention purge and the seal, as `flask audit purge` and `flask audit seal` do them."""

from datetime import timedelta

from sqlalchemy import select

from app.audit import seals
from app.audit.models import AuditEvent
from app.audit.tasks import purge, seal
from app.extensions import db
from tests.audit.test_audit_seals import add_events


def test_the_purge_job_keeps_the_retention_period(app):
    days = app.config["AUDIT_RETENTION_DAYS"]
    add_events(2, age=timedelta(days=days + 1))
    [kept] = add_events(1, age=timedelta(days=days - 1))

    assert purge() == 2
    assert list(db.session.scalars(select(AuditEvent.id))) == [kept]


def test_the_seal_job_seals_what_settled_and_verify_reaches_its_head(app):
    add_events(3)

    head = seal()

    assert seals.verify(None, head) == head
    assert seal() == head  # nothing new: the same head
