"""Audit log: each event's order key from the database, and the seals chained over them.

The order key is the incremental export's order (app/audit/ordering.py); the seals are the
tamper evidence (app/audit/seals.py).

Revision ID: 0008
Revises: 0003
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

MYSQL = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_unicode_ci",
}

revision = "0008"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_events") as table:
        table.add_column(sa.Column("order_key", sa.BigInteger(), nullable=True))
    # Events recorded before this revision were all committed: they come first, in id order.
    op.execute("UPDATE audit_events SET order_key = 0")
    # How each database fills it: app/audit/ordering.py, README "Audit log: export and seals".
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(
            "ALTER TABLE audit_events ALTER COLUMN order_key "
            "SET DEFAULT (pg_current_xact_id()::text::bigint)"
        )
    elif dialect == "sqlite":
        op.execute(
            "CREATE TRIGGER audit_events_order_key AFTER INSERT ON audit_events "
            "FOR EACH ROW WHEN NEW.order_key IS NULL BEGIN "
            "UPDATE audit_events SET order_key = NEW.id WHERE id = NEW.id; END"
        )
    op.create_index("ix_audit_events_order_key_id", "audit_events", ["order_key", "id"])
    op.create_table(
        "audit_settlement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_batch", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_settlement")),
        **MYSQL,
    )
    op.execute("INSERT INTO audit_settlement (id, last_batch) VALUES (1, 0)")
    op.create_table(
        "audit_seals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sealed_at", sa.DateTime(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("previous", sa.String(length=64), nullable=False),
        sa.Column("after_key", sa.BigInteger(), nullable=True),
        sa.Column("after_id", sa.BigInteger(), nullable=True),
        sa.Column("end_key", sa.BigInteger(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("keyed", sa.Boolean(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_seals")),
        # One successor per seal: two `flask audit seal` runs at once cannot fork the chain.
        sa.UniqueConstraint("previous", name=op.f("uq_audit_seals_previous")),
        **MYSQL,
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_events_order_key")
    op.drop_table("audit_seals")
    op.drop_table("audit_settlement")
    op.drop_index("ix_audit_events_order_key_id", table_name="audit_events")
    with op.batch_alter_table("audit_events") as table:
        table.drop_column("order_key")
