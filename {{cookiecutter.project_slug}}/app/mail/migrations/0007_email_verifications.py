"""Account e-mails: when each account proved its address, in a table of the capability's own.

Projects generated before capabilities had branches of their own kept it on users, as
`email_verified_at`: its values move here and the column goes.

Revision ID: 0007
Revises: 0004
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

# MySQL/MariaDB: InnoDB for foreign keys and transactions, utf8mb4 like every table.
MYSQL = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_unicode_ci",
}
LEGACY_COLUMN = "email_verified_at"

revision = "0007"
down_revision = "0004"
branch_labels = None
depends_on = None


def legacy_column() -> bool:
    columns = sa.inspect(op.get_bind()).get_columns("users")
    return any(column["name"] == LEGACY_COLUMN for column in columns)


def upgrade() -> None:
    verifications = op.create_table(
        "email_verifications",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("verified_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_email_verifications_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_email_verifications")),
        **MYSQL,
    )
    if not legacy_column():
        return
    users = sa.table("users", sa.column("id", sa.Integer()), sa.column(LEGACY_COLUMN))
    verified = sa.select(users.c.id, users.c[LEGACY_COLUMN]).where(
        users.c[LEGACY_COLUMN].is_not(None)
    )
    op.execute(verifications.insert().from_select(["user_id", "verified_at"], verified))
    # Batch mode: SQLite alters a table by copying it; the other databases alter in place.
    with op.batch_alter_table("users") as batch:
        batch.drop_column(LEGACY_COLUMN)


def downgrade() -> None:
    op.drop_table("email_verifications")
