"""virtual api keys

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 17:57:33.609493
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import lockgate.db.base

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("daily_budget_usd", lockgate.db.base.Money(precision=18, scale=8), nullable=True),
        sa.Column(
            "monthly_budget_usd", lockgate.db.base.Money(precision=18, scale=8), nullable=True
        ),
        sa.Column("rpm", sa.Integer(), nullable=True),
        sa.Column("tpm", sa.Integer(), nullable=True),
        sa.Column("allowed_models", sa.JSON(), nullable=True),
        sa.Column("expires_at", lockgate.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", lockgate.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", lockgate.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", lockgate.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_keys_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
    )
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_keys_user_id"), ["user_id"], unique=False)

    with op.batch_alter_table("usage_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("api_key_id", sa.Uuid(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_usage_records_api_key_id"), ["api_key_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_usage_records_api_key_id_api_keys"),
            "api_keys",
            ["api_key_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("usage_records", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_usage_records_api_key_id_api_keys"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_usage_records_api_key_id"))
        batch_op.drop_column("api_key_id")

    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_keys_user_id"))

    op.drop_table("api_keys")
