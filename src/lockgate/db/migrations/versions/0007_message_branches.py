"""message branches: user messages get a parent, conversations remember their current leaf

Edits and regenerations fork a conversation into a tree of message rows (``parent_id``), and a
conversation shows and sends from one branch of it (``current_message_id``, its leaf).

Before this revision only replies had a parent (their user message); user messages had none and
a conversation was read in ``seq`` order. The backfill makes each existing conversation one chain
as it was written: a user message's parent is the newest reply, created before it, to the user
message before it (or that user message itself when it has no such reply), so a regenerated
earlier answer stays a sibling and does not cut the chain; replies keep their parent. The
current leaf is the conversation's last message by ``seq``.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 21:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The previous user message of the row being updated (correlated on the outer `messages`).
_PREVIOUS_USER = """
    SELECT p.id FROM messages AS p
    WHERE p.conversation_id = messages.conversation_id AND p.role = 'user'
      AND p.seq < messages.seq
    ORDER BY p.seq DESC LIMIT 1
"""

BACKFILL_USER_PARENTS = f"""
UPDATE messages SET parent_id = COALESCE(
    (SELECT r.id FROM messages AS r
     WHERE r.parent_id = ({_PREVIOUS_USER}) AND r.role = 'assistant' AND r.seq < messages.seq
     ORDER BY r.seq DESC LIMIT 1),
    ({_PREVIOUS_USER})
)
WHERE role = 'user' AND parent_id IS NULL
"""

BACKFILL_CURRENT_LEAF = """
UPDATE conversations SET current_message_id = (
    SELECT m.id FROM messages AS m WHERE m.conversation_id = conversations.id
    ORDER BY m.seq DESC LIMIT 1
)
"""


def upgrade() -> None:
    # A plain ADD COLUMN on both databases: never a table rebuild (see downgrade).
    op.add_column("conversations", sa.Column("current_message_id", sa.Uuid(), nullable=True))
    op.execute(sa.text(BACKFILL_USER_PARENTS))
    op.execute(sa.text(BACKFILL_CURRENT_LEAF))


def downgrade() -> None:
    # Back to "user messages have no parent"; the branches' rows stay (read in seq order).
    op.execute(sa.text("UPDATE messages SET parent_id = NULL WHERE role = 'user'"))
    # A plain DROP COLUMN (SQLite >= 3.35), never batch mode's rebuild: dropping and recreating
    # `conversations` with foreign keys on would cascade-delete every message.
    op.drop_column("conversations", "current_message_id")
