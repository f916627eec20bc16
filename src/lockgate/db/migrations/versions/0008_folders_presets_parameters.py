"""folders, pins, archive, per-conversation parameters and presets

A user's folders (``folders``; deleting one sets its conversations' ``folder_id`` to NULL, so
they are kept, unfiled), ``conversations.pinned`` and ``archived_at``, the parameters a send uses
when it names none (``model``, ``temperature``, ``max_tokens``; the system prompt was already
there), and a user's named parameter presets (``presets``). The sidebar's index leads with
``pinned`` so its order (pinned first, then newest activity) is one index range per user.

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-06 21:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import lockgate.db.base

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _owned_table(name: str, *columns: sa.Column[object]) -> None:
    """A table owned by a user: id, user_id (cascade), a name unique per user, timestamps."""
    op.create_table(
        name,
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        *columns,
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", lockgate.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", lockgate.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f(f"fk_{name}_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
        sa.UniqueConstraint("user_id", "name", name=op.f(f"uq_{name}_user_id")),
    )


def upgrade() -> None:
    _owned_table("folders")
    _owned_table(
        "presets",
        sa.Column("model", sa.String(length=200), nullable=True),
        sa.Column("temperature", sa.Double(), nullable=True),
        sa.Column("max_tokens", sa.Integer(), nullable=True),
        sa.Column("system_prompt", sa.Text(), nullable=False),
    )
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("folder_id", sa.Uuid(), nullable=True))
        batch_op.add_column(
            sa.Column("pinned", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("archived_at", lockgate.db.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("model", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("temperature", sa.Double(), nullable=True))
        batch_op.add_column(sa.Column("max_tokens", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_conversations_folder_id_folders"),
            "folders",
            ["folder_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index(batch_op.f("ix_conversations_folder_id"), ["folder_id"], unique=False)
        batch_op.drop_index("ix_conversations_user_recent")
        batch_op.create_index(
            "ix_conversations_user_pinned_recent",
            ["user_id", "pinned", "updated_at", "id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_index("ix_conversations_user_pinned_recent")
        batch_op.create_index(
            "ix_conversations_user_recent", ["user_id", "updated_at", "id"], unique=False
        )
        batch_op.drop_index(batch_op.f("ix_conversations_folder_id"))
        batch_op.drop_constraint(
            batch_op.f("fk_conversations_folder_id_folders"), type_="foreignkey"
        )
        for column in ("max_tokens", "temperature", "model", "archived_at", "pinned", "folder_id"):
            batch_op.drop_column(column)
    op.drop_table("presets")
    op.drop_table("folders")
