"""Account e-mails: the single-use tokens of mailed links.

Revision ID: 0002
Revises:
Depends on: 0001
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

# MySQL/MariaDB: InnoDB for foreign keys and transactions, utf8mb4 so any Unicode fits.
MYSQL = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_unicode_ci",
}

revision = "0002"
# A base of its own (its branch), needing the core's users table.
down_revision = None
branch_labels = ("mail",)
depends_on = "0001"


def exists(table: str) -> bool:
    # A project generated before capabilities had branches of their own already has the table.
    return sa.inspect(op.get_bind()).has_table(table)


def upgrade() -> None:
    if exists("account_tokens"):
        return
    op.create_table(
        "account_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_account_tokens_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_account_tokens_token_hash")),
        **MYSQL,
    )
    op.create_index(op.f("ix_account_tokens_expires_at"), "account_tokens", ["expires_at"])
    op.create_index(op.f("ix_account_tokens_user_id"), "account_tokens", ["user_id"])


def downgrade() -> None:
    # The indexes go with the table (MySQL refuses to drop one that backs a foreign key first).
    op.drop_table("account_tokens")
