"""message embeddings (search by meaning)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 00:55:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import lockgate.db.base

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "message_embeddings",
        sa.Column("message_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("embedder", sa.String(length=200), nullable=False),
        sa.Column("chunks", sa.Integer(), nullable=False),
        sa.Column("indexed_at", lockgate.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_message_embeddings_message_id_messages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_message_embeddings_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("message_id", name=op.f("pk_message_embeddings")),
    )
    with op.batch_alter_table("message_embeddings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_message_embeddings_user_id"), ["user_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("message_embeddings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_message_embeddings_user_id"))
    op.drop_table("message_embeddings")
