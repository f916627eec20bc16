"""share links: shares (the token's hash, owner, conversation) and their snapshot messages

A share link shows a copy of the conversation as it was when shared, one row per message, so
later messages, regenerations or edits never reach its readers. Both tables cascade from the
user and the conversation: deleting either deletes the links.

Revision ID: 0009
Revises: 0006
Create Date: 2026-12-06 21:18:59.581342
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import lockgate.db.base

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "shares",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("conversation_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("message_count", sa.Integer(), nullable=False),
        sa.Column("created_at", lockgate.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_shares_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_shares_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shares")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_shares_token_hash")),
    )
    with op.batch_alter_table("shares", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_shares_conversation_id"), ["conversation_id"], unique=False
        )
        batch_op.create_index(
            "ix_shares_user_recent", ["user_id", "created_at", "id"], unique=False
        )

    op.create_table(
        "share_messages",
        sa.Column("share_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "user",
                "assistant",
                "system",
                name="share_message_role",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=True),
        sa.Column("created_at", lockgate.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["share_id"],
            ["shares.id"],
            name=op.f("fk_share_messages_share_id_shares"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_share_messages")),
    )
    with op.batch_alter_table("share_messages", schema=None) as batch_op:
        batch_op.create_index("ix_share_messages_order", ["share_id", "seq"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("share_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_share_messages_order")

    op.drop_table("share_messages")
    with op.batch_alter_table("shares", schema=None) as batch_op:
        batch_op.drop_index("ix_shares_user_recent")
        batch_op.drop_index(batch_op.f("ix_shares_conversation_id"))

    op.drop_table("shares")
