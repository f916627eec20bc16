"""chat attachments (images in messages)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 00:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import lockgate.db.base

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "attachments",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("conversation_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("mime_type", sa.String(length=64), nullable=False),
        sa.Column("file_name", sa.String(length=64), nullable=False),
        sa.Column("byte_size", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("created_at", lockgate.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_attachments_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_attachments_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
    )
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_attachments_conversation_id"), ["conversation_id"], unique=False
        )
        batch_op.create_index("ix_attachments_user_time", ["user_id", "created_at"], unique=False)
    op.create_table(
        "message_attachments",
        sa.Column("message_id", sa.Uuid(), nullable=False),
        sa.Column("attachment_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["attachment_id"],
            ["attachments.id"],
            name=op.f("fk_message_attachments_attachment_id_attachments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_message_attachments_message_id_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("message_id", "attachment_id", name=op.f("pk_message_attachments")),
    )
    with op.batch_alter_table("message_attachments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_message_attachments_attachment_id"), ["attachment_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("message_attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_message_attachments_attachment_id"))
    op.drop_table("message_attachments")
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.drop_index("ix_attachments_user_time")
        batch_op.drop_index(batch_op.f("ix_attachments_conversation_id"))
    op.drop_table("attachments")
