"""accounts: registration, sign-in protection, TOTP, nominations; the audit log

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 16:30:00

The audit log is append-only in the database too: a trigger refuses UPDATE and
DELETE on ``audit_log`` (and TRUNCATE on PostgreSQL). ``billpay audit verify``
still finds a changed row if someone drops the trigger first.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import billpay.db

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLES = ("'clerk', 'office_head', 'provincial', 'finance', 'executive', 'auditor', 'admin', "
         "'import_job'")

PG_TRIGGERS = """
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
"""

SQLITE_TRIGGERS = (
    """CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
       BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE refused'); END""",
    """CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
       BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: DELETE refused'); END""",
)


def upgrade() -> None:
    # users: registration, decisions, sign-in protection, second factor. Plain ADD COLUMN
    # (no foreign keys), so that SQLite alters the table in place.
    op.add_column("users", sa.Column("citizen_id", sa.String(length=13), nullable=True))
    op.add_column("users", sa.Column("decided_by_id", sa.Integer(), nullable=True))
    op.add_column("users", sa.Column("decided_at", billpay.db.UTCDateTime(timezone=True),
                                     nullable=True))
    op.add_column("users", sa.Column("decision_reason", sa.String(length=500), nullable=True))
    op.add_column("users", sa.Column("failed_logins", sa.Integer(), server_default=sa.text("0"),
                                     nullable=False))
    op.add_column("users", sa.Column("locked_until", billpay.db.UTCDateTime(timezone=True),
                                     nullable=True))
    op.add_column("users", sa.Column("lockout_count", sa.Integer(), server_default=sa.text("0"),
                                     nullable=False))
    op.add_column("users", sa.Column("password_changed_at", billpay.db.UTCDateTime(timezone=True),
                                     nullable=True))
    op.add_column("users", sa.Column("totp_secret", sa.String(length=64), nullable=True))
    op.add_column("users", sa.Column("totp_enabled_at", billpay.db.UTCDateTime(timezone=True),
                                     nullable=True))
    op.add_column("users", sa.Column("totp_last_counter", sa.Integer(), nullable=True))
    op.create_index(op.f("ix_users_citizen_id"), "users", ["citizen_id"], unique=False)

    op.create_table(
        "user_nominations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=True),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("position", sa.String(length=200), nullable=False),
        sa.Column("citizen_id", sa.String(length=13), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("proposed_role", sa.String(length=20), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("submitted_by_id", sa.Integer(), nullable=True),
        sa.Column("submitted_at", billpay.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.CheckConstraint(f"proposed_role IS NULL OR proposed_role IN ({ROLES})",
                           name=op.f("ck_user_nominations_proposed_role")),
        sa.ForeignKeyConstraint(["office_id"], ["offices.id"],
                                name=op.f("fk_user_nominations_office_id_offices")),
        sa.ForeignKeyConstraint(["submitted_by_id"], ["users.id"],
                                name=op.f("fk_user_nominations_submitted_by_id_users")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_user_nominations_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_nominations")),
        sa.UniqueConstraint("office_id", "citizen_id",
                            name="uq_user_nominations_office_citizen"),
    )
    op.create_index(op.f("ix_user_nominations_office_id"), "user_nominations", ["office_id"],
                    unique=False)
    op.create_index(op.f("ix_user_nominations_citizen_id"), "user_nominations",
                    ["citizen_id"], unique=False)

    head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_audit_head_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    op.bulk_insert(head, [{"id": 1, "last_seq": 0, "last_hash": "0" * 64}])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", billpay.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("actor_token_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=200), nullable=False),
        sa.Column("actor_role", sa.String(length=20), nullable=True),
        sa.Column("office_id", sa.Integer(), nullable=True),
        sa.Column("office_code", sa.String(length=4), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("object_type", sa.String(length=40), nullable=True),
        sa.Column("object_id", sa.String(length=64), nullable=True),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
        sa.Column("ip", sa.String(length=45), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
        sa.UniqueConstraint("seq", name=op.f("uq_audit_log_seq")),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"], unique=False)
    op.create_index("ix_audit_log_object", "audit_log", ["object_type", "object_id"],
                    unique=False)
    op.create_index(op.f("ix_audit_log_action"), "audit_log", ["action"], unique=False)
    op.create_index(op.f("ix_audit_log_actor_user_id"), "audit_log", ["actor_user_id"],
                    unique=False)
    op.create_index(op.f("ix_audit_log_office_id"), "audit_log", ["office_id"], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_TRIGGERS)
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update_delete ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
    op.drop_index(op.f("ix_audit_log_office_id"), table_name="audit_log")
    op.drop_index(op.f("ix_audit_log_actor_user_id"), table_name="audit_log")
    op.drop_index(op.f("ix_audit_log_action"), table_name="audit_log")
    op.drop_index("ix_audit_log_object", table_name="audit_log")
    op.drop_index("ix_audit_log_at", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_table("audit_head")
    op.drop_index(op.f("ix_user_nominations_citizen_id"), table_name="user_nominations")
    op.drop_index(op.f("ix_user_nominations_office_id"), table_name="user_nominations")
    op.drop_table("user_nominations")
    op.drop_index(op.f("ix_users_citizen_id"), table_name="users")
    for column in ("totp_last_counter", "totp_enabled_at", "totp_secret", "password_changed_at",
                   "lockout_count", "locked_until", "failed_logins", "decision_reason",
                   "decided_at", "decided_by_id", "citizen_id"):
        op.drop_column("users", column)
