"""The mail outbox: mails asked for in a transaction, delivered by the senders.

Revision ID: 0004
Revises: 0002
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

# MySQL/MariaDB: InnoDB for transactions and row locks, utf8mb4 so any address fits.
MYSQL = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_unicode_ci",
}

revision = "0004"
down_revision = "0002"
branch_labels = None
depends_on = None


def exists(table: str) -> bool:
    # A project generated before capabilities had branches of their own already has the table.
    return sa.inspect(op.get_bind()).has_table(table)


def upgrade() -> None:
    if exists("mail_outbox"):
        return
    op.create_table(
        "mail_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("leased_until", sa.DateTime(), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_outbox")),
        **MYSQL,
    )
    op.create_index("ix_mail_outbox_status_id", "mail_outbox", ["status", "id"])
    op.create_index(op.f("ix_mail_outbox_sent_at"), "mail_outbox", ["sent_at"])


def downgrade() -> None:
    op.drop_table("mail_outbox")
