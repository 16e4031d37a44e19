"""Two-factor sign-in: TOTP credentials, recovery codes, login challenges.

Revision ID: 0005
Revises:
Depends on: 0001
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

# MySQL/MariaDB: InnoDB for foreign keys and transactions, utf8mb4 so any Unicode fits.
MYSQL = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_unicode_ci",
}

revision = "0005"
# A base of its own (its branch), needing the core's users table.
down_revision = None
branch_labels = ("twofactor",)
depends_on = "0001"


def user_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["user_id"], ["users.id"], name=op.f(f"fk_{table}_user_id_users"), ondelete="CASCADE"
    )


def exists(table: str) -> bool:
    # A project generated before capabilities had branches of their own already has the table.
    return sa.inspect(op.get_bind()).has_table(table)


def upgrade() -> None:
    if exists("totp_credentials"):
        return
    op.create_table(
        "totp_credentials",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("enabled_at", sa.DateTime(), nullable=True),
        sa.Column("last_step", sa.BigInteger(), nullable=True),
        user_fk("totp_credentials"),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_totp_credentials")),
        **MYSQL,
    )
    op.create_table(
        "recovery_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        user_fk("recovery_codes"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_codes")),
        sa.UniqueConstraint("user_id", "code_hash", name=op.f("uq_recovery_codes_user_id")),
        **MYSQL,
    )
    op.create_index(op.f("ix_recovery_codes_user_id"), "recovery_codes", ["user_id"])
    op.create_table(
        "login_challenges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("challenge_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        user_fk("login_challenges"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_challenges")),
        sa.UniqueConstraint("challenge_hash", name=op.f("uq_login_challenges_challenge_hash")),
        **MYSQL,
    )
    op.create_index(op.f("ix_login_challenges_expires_at"), "login_challenges", ["expires_at"])
    op.create_index(op.f("ix_login_challenges_user_id"), "login_challenges", ["user_id"])


def downgrade() -> None:
    # The indexes go with their tables (MySQL refuses to drop one that backs a foreign key first).
    for table in ("login_challenges", "recovery_codes", "totp_credentials"):
        op.drop_table(table)
