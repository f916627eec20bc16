"""usage ledger: one index for a key's spend over a period

The keys page sums each key's spend today and this month in one aggregate query. With only
``api_key_id`` indexed, every matching ledger row was fetched from the table to read its time
and cost (~1 s for 200,000 rows of a month on SQLite). ``(api_key_id, created_at, cost_usd)``
answers it from the index alone (~0.2 s), in key order (no sort for the GROUP BY), and serves
every lookup the single-column index served, so it replaces it: no extra write per usage row.

Revision ID: 0011
Revises: 0006
Create Date: 2026-12-06 22:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("usage_records", schema=None) as batch_op:
        batch_op.create_index(
            "ix_usage_records_key_spend",
            ["api_key_id", "created_at", "cost_usd"],
            unique=False,
        )
        batch_op.drop_index(batch_op.f("ix_usage_records_api_key_id"))


def downgrade() -> None:
    with op.batch_alter_table("usage_records", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_usage_records_api_key_id"), ["api_key_id"], unique=False
        )
        batch_op.drop_index("ix_usage_records_key_spend")
