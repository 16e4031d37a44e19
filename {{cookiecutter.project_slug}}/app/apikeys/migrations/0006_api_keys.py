"""Personal API keys.

Revision ID: 0006
Revises:
Depends on: 0001
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

# MySQL/MariaDB: InnoDB for foreign keys and transactions, utf8mb4 so any Unicode fits.
MYSQL = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_unicode_ci",
}

revision = "0006"
# A base of its own (its branch), needing the core's users table.
down_revision = None
branch_labels = ("apikeys",)
depends_on = "0001"


def user_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["user_id"], ["users.id"], name=op.f(f"fk_{table}_user_id_users"), ondelete="CASCADE"
    )


def exists(table: str) -> bool:
    # A project generated before capabilities had branches of their own already has the table.
    return sa.inspect(op.get_bind()).has_table(table)


def upgrade() -> None:
    if exists("api_keys"):
        return
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("prefix", sa.String(length=40), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=True),
        sa.Column("last_used_at", sa.DateTime(), nullable=True),
        sa.Column("last_used_address", sa.String(length=45), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        user_fk("api_keys"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
        **MYSQL,
    )
    op.create_index(op.f("ix_api_keys_user_id"), "api_keys", ["user_id"])


def downgrade() -> None:
    # The index goes with its table (MySQL refuses to drop one that backs a foreign key first).
    op.drop_table("api_keys")
