"""trial period: trial flags on bills, payments, receipts and bank lines; offices' trial
flag and go-live date; the record of trial purges

Revision ID: 0007
Revises: 0006

Existing rows are live (server default false). Only columns and indexes are added, with
plain ALTER TABLE ADD COLUMN / CREATE INDEX: no table is rebuilt, so SQLite never drops
and copies bills or receipts (which other tables reference). The downgrade drops the
columns with ALTER TABLE … DROP COLUMN (PostgreSQL; SQLite 3.35+) for the same reason.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import billpay.db

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table → name of its partial index over the trial rows, and the indexed column
TRIAL_TABLES = {
    "bills": ("ix_bills_trial_office", "office_id"),
    "payments": ("ix_payments_trial_office", "office_id"),
    "receipts": ("ix_receipts_trial_office", "office_id"),
    "bank_lines": ("ix_bank_lines_trial_file", "file_id"),
}
TRIAL_ROWS = sa.text("trial")


def upgrade() -> None:
    op.create_table(
        "trial_purges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", billpay.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("performed_by", sa.String(length=200), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("office_id", sa.Integer(), nullable=True),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["office_id"], ["offices.id"],
                                name=op.f("fk_trial_purges_office_id_offices")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_trial_purges_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trial_purges")),
    )
    op.create_index(op.f("ix_trial_purges_office_id"), "trial_purges", ["office_id"])

    op.add_column("offices", sa.Column("trial", sa.Boolean(), server_default=sa.false(),
                                       nullable=False))
    op.add_column("offices", sa.Column("go_live_on", sa.Date(), nullable=True))
    for table, (index, column) in TRIAL_TABLES.items():
        op.add_column(table, sa.Column("trial", sa.Boolean(), server_default=sa.false(),
                                       nullable=False))
        op.create_index(index, table, [column], postgresql_where=TRIAL_ROWS,
                        sqlite_where=TRIAL_ROWS)


def downgrade() -> None:
    for table, (index, _column) in TRIAL_TABLES.items():
        op.drop_index(index, table_name=table)
        op.execute(f'ALTER TABLE "{table}" DROP COLUMN trial')
    op.execute('ALTER TABLE "offices" DROP COLUMN go_live_on')
    op.execute('ALTER TABLE "offices" DROP COLUMN trial')
    op.drop_index(op.f("ix_trial_purges_office_id"), table_name="trial_purges")
    op.drop_table("trial_purges")
