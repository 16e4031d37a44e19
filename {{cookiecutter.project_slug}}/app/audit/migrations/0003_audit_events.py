"""Audit log: one row per security event, written in the transaction of the change it records.

Revision ID: 0003
Revises:
Depends on: 0001
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

# MySQL/MariaDB: InnoDB for transactions, utf8mb4 so any Unicode fits.
MYSQL = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_unicode_ci",
}

revision = "0003"
# A base of its own (its branch), needing the core's users table.
down_revision = None
branch_labels = ("audit",)
depends_on = "0001"


def exists(table: str) -> bool:
    # A project generated before capabilities had branches of their own already has the table.
    return sa.inspect(op.get_bind()).has_table(table)


def upgrade() -> None:
    if exists("audit_events"):
        return
    op.create_table(
        "audit_events",
        # SQLite numbers rows only for an INTEGER primary key.
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target_type", sa.String(length=16), nullable=True),
        sa.Column("target_id", sa.Integer(), nullable=True),
        sa.Column("ip_address", sa.String(length=45), nullable=True),
        sa.Column("user_agent", sa.String(length=255), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
        **MYSQL,
    )
    op.create_index(op.f("ix_audit_events_created_at"), "audit_events", ["created_at"])
    op.create_index("ix_audit_events_actor_id_id", "audit_events", ["actor_id", "id"])
    op.create_index(
        "ix_audit_events_target_type_target_id_id",
        "audit_events",
        ["target_type", "target_id", "id"],
    )
    op.create_index("ix_audit_events_action_id", "audit_events", ["action", "id"])


def downgrade() -> None:
    op.drop_table("audit_events")
