"""The audit log's branch of migrations adds its tables with their indexes and takes them away
again, on the test database whichever it is (TEST_DATABASE_URL: SQLite, PostgreSQL or MySQL)."""

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from app.extensions import db

INDEXES = {
    "ix_audit_events_created_at": ["created_at"],
    "ix_audit_events_actor_id_id": ["actor_id", "id"],
    "ix_audit_events_target_type_target_id_id": ["target_type", "target_id", "id"],
    "ix_audit_events_action_id": ["action", "id"],
    "ix_audit_events_order_key_id": ["order_key", "id"],
}
TABLES = {"audit_events", "audit_seals", "audit_settlement"}


def tables() -> set[str]:
    return set(inspect(db.engine).get_table_names())


def test_audit_events_go_with_a_downgrade_of_its_branch_and_come_back(app):
    db.session.remove()  # no open transaction may hold the table during DDL

    downgrade(revision="audit@base")
    after_downgrade = tables()
    upgrade(revision="heads")
    # A pooled SQLite connection from before the DDL can answer PRAGMAs from its old schema.
    db.engine.dispose()

    assert not TABLES & after_downgrade
    assert tables() >= TABLES
    assert "users" in after_downgrade
    indexes = {i["name"]: i["column_names"] for i in inspect(db.engine).get_indexes("audit_events")}
    assert indexes == INDEXES
