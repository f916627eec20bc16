"""response cache: usage outcome cache_hit, saved_usd, cached replies

A cache hit is a usage row of its own (outcome ``cache_hit``, cost 0) that records what the answer
it replayed had cost (``saved_usd``, 0 on every other row), and a chat reply answered from the
cache says so (``messages.cached``) so the web UI can show it after a reload too.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 18:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import lockgate.db.base

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHECK = "ck_usage_records_usage_outcome"
OLD = ("ok", "error", "cancelled", "incomplete")
NEW = (*OLD, "cache_hit")


def _outcomes(values: Sequence[str]) -> str:
    return "outcome IN (" + ", ".join(f"'{value}'" for value in values) + ")"


def upgrade() -> None:
    with op.batch_alter_table("usage_records", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "saved_usd",
                lockgate.db.base.Money(precision=18, scale=8),
                server_default="0",
                nullable=False,
            )
        )
        batch_op.drop_constraint(op.f(CHECK), type_="check")
        batch_op.create_check_constraint(op.f(CHECK), _outcomes(NEW))
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("cached", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("cached")
    op.execute(sa.text("DELETE FROM usage_records WHERE outcome = 'cache_hit'"))
    with op.batch_alter_table("usage_records", schema=None) as batch_op:
        batch_op.drop_constraint(op.f(CHECK), type_="check")
        batch_op.create_check_constraint(op.f(CHECK), _outcomes(OLD))
        batch_op.drop_column("saved_usd")
