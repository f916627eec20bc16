"""admin console: audit log, per-user limit overrides, addressed and revocable invites, spend index

- ``audit_log``: one row per administrative change (who, what, target, before/after JSON, when,
  request id), written in the change's own transaction.
- ``user_limit_overrides``: an admin's per-user daily/monthly USD and rpm/tpm (NULL: the YAML
  default).
- ``invites.email`` (only this address may use it) and ``invites.revoked_at``.
- ``ix_usage_records_spend``: a covering index for the spend reports (see bench/spend.py).

Revision ID: 0012
Revises: 0006
Create Date: 2026-12-06 21:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import lockgate.db.base

revision: str = "0012"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SPEND_COLUMNS = [
    "created_at",
    "user_id",
    "api_key_id",
    "provider",
    "model",
    "input_tokens",
    "output_tokens",
    "cost_usd",
    "saved_usd",
]


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("actor_email", sa.String(length=320), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target_type", sa.String(length=32), nullable=False),
        sa.Column("target_id", sa.String(length=64), nullable=False),
        sa.Column("target_label", sa.String(length=320), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", lockgate.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["users.id"],
            name=op.f("fk_audit_log_actor_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index("ix_audit_log_time", ["created_at", "id"], unique=False)
        batch_op.create_index("ix_audit_log_actor_time", ["actor_id", "created_at"], unique=False)
        batch_op.create_index("ix_audit_log_action_time", ["action", "created_at"], unique=False)
        batch_op.create_index("ix_audit_log_target", ["target_type", "target_id"], unique=False)

    op.create_table(
        "user_limit_overrides",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("daily_budget_usd", lockgate.db.base.Money(precision=18, scale=8), nullable=True),
        sa.Column(
            "monthly_budget_usd", lockgate.db.base.Money(precision=18, scale=8), nullable=True
        ),
        sa.Column("rpm", sa.Integer(), nullable=True),
        sa.Column("tpm", sa.Integer(), nullable=True),
        sa.Column("updated_at", lockgate.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_user_limit_overrides_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"],
            ["users.id"],
            name=op.f("fk_user_limit_overrides_updated_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_user_limit_overrides")),
    )

    with op.batch_alter_table("invites", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email", sa.String(length=320), nullable=True))
        batch_op.add_column(
            sa.Column("revoked_at", lockgate.db.base.UTCDateTime(timezone=True), nullable=True)
        )

    with op.batch_alter_table("usage_records", schema=None) as batch_op:
        batch_op.create_index("ix_usage_records_spend", SPEND_COLUMNS, unique=False)


def downgrade() -> None:
    with op.batch_alter_table("usage_records", schema=None) as batch_op:
        batch_op.drop_index("ix_usage_records_spend")
    with op.batch_alter_table("invites", schema=None) as batch_op:
        batch_op.drop_column("revoked_at")
        batch_op.drop_column("email")
    op.drop_table("user_limit_overrides")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_target")
        batch_op.drop_index("ix_audit_log_action_time")
        batch_op.drop_index("ix_audit_log_actor_time")
        batch_op.drop_index("ix_audit_log_time")
    op.drop_table("audit_log")
