"""admin console: audit log, addressed and revocable invites, spend rollup

- ``audit_log``: one row per administrative change (who, what, target, before/after JSON, when,
  request id), written in the change's own transaction.
  (Per-user budgets and rpm/tpm set at run time live in ``user_limits``, revision 0013.)
- ``invites.email`` (only this address may use it) and ``invites.revoked_at``.
- ``usage_daily``: the spend rollup (a row per UTC day, user, key, provider, model), kept exact
  by a trigger on ``usage_records`` and backfilled here (see models/usage_daily.py and
  bench/spend.py).

Revision ID: 0012
Revises: 0006
Create Date: 2026-12-06 21:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import lockgate.db.base

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    "day, user_key, key_key, provider, model, requests, input_tokens, output_tokens,"
    " cost_units, saved_units"
)
ADD = (
    "requests = usage_daily.requests + excluded.requests,"
    " input_tokens = usage_daily.input_tokens + excluded.input_tokens,"
    " output_tokens = usage_daily.output_tokens + excluded.output_tokens,"
    " cost_units = usage_daily.cost_units + excluded.cost_units,"
    " saved_units = usage_daily.saved_units + excluded.saved_units"
)
KEY = "(day, user_key, key_key, provider, model)"
# One ledger row as a rollup row, per dialect (ids as text, money in 1e-8 USD units).
SQLITE_ROW = (
    "substr({r}.created_at, 1, 10), COALESCE({r}.user_id, ''), COALESCE({r}.api_key_id, ''),"
    " {r}.provider, {r}.model, {n}, {sum}({r}.input_tokens), {sum}({r}.output_tokens),"
    " {sum}(CAST(ROUND({r}.cost_usd * 100000000) AS INTEGER)),"
    " {sum}(CAST(ROUND({r}.saved_usd * 100000000) AS INTEGER))"
)
POSTGRES_ROW = (
    "({r}.created_at AT TIME ZONE 'UTC')::date, COALESCE({r}.user_id::text, ''),"
    " COALESCE({r}.api_key_id::text, ''), {r}.provider, {r}.model, {n},"
    " {sum}({r}.input_tokens), {sum}({r}.output_tokens),"
    " {sum}(ROUND({r}.cost_usd * 100000000)::bigint),"
    " {sum}(ROUND({r}.saved_usd * 100000000)::bigint)"
)


def _rollup_sql(dialect: str) -> list[str]:
    """The trigger that keeps ``usage_daily``, and the backfill of the rows already there."""
    row = SQLITE_ROW if dialect == "sqlite" else POSTGRES_ROW
    one = row.format(r="NEW", n="1", sum="")
    grouped = row.format(r="u", n="COUNT(*)", sum="SUM")
    group_by = "1, 2, 3, 4, 5"
    backfill = (
        f"INSERT INTO usage_daily ({COLUMNS}) SELECT {grouped} FROM usage_records u"
        f" GROUP BY {group_by}"
    )
    upsert = (
        f"INSERT INTO usage_daily ({COLUMNS}) VALUES ({one}) ON CONFLICT {KEY} DO UPDATE SET {ADD}"
    )
    if dialect == "sqlite":
        return [
            backfill,
            f"CREATE TRIGGER usage_daily_rollup AFTER INSERT ON usage_records BEGIN {upsert}; END",
        ]
    return [
        backfill,
        "CREATE FUNCTION usage_daily_rollup() RETURNS trigger LANGUAGE plpgsql AS $$"
        f" BEGIN {upsert}; RETURN NULL; END $$",
        "CREATE TRIGGER usage_daily_rollup AFTER INSERT ON usage_records"
        " FOR EACH ROW EXECUTE FUNCTION usage_daily_rollup()",
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

    with op.batch_alter_table("invites", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email", sa.String(length=320), nullable=True))
        batch_op.add_column(
            sa.Column("revoked_at", lockgate.db.base.UTCDateTime(timezone=True), nullable=True)
        )

    op.create_table(
        "usage_daily",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("user_key", sa.String(length=36), nullable=False),
        sa.Column("key_key", sa.String(length=36), nullable=False),
        sa.Column("provider", sa.String(length=100), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("requests", sa.BigInteger(), nullable=False),
        sa.Column("input_tokens", sa.BigInteger(), nullable=False),
        sa.Column("output_tokens", sa.BigInteger(), nullable=False),
        sa.Column("cost_units", sa.BigInteger(), nullable=False),
        sa.Column("saved_units", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "day", "user_key", "key_key", "provider", "model", name=op.f("pk_usage_daily")
        ),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("usage_daily", schema=None) as batch_op:
        batch_op.create_index("ix_usage_daily_user_day", ["user_key", "day"], unique=False)
    for statement in _rollup_sql(op.get_bind().dialect.name):
        op.execute(sa.text(statement))


def downgrade() -> None:
    op.execute(
        sa.text(
            "DROP TRIGGER IF EXISTS usage_daily_rollup"
            + ("" if op.get_bind().dialect.name == "sqlite" else " ON usage_records")
        )
    )
    if op.get_bind().dialect.name != "sqlite":
        op.execute(sa.text("DROP FUNCTION IF EXISTS usage_daily_rollup()"))
    with op.batch_alter_table("usage_daily", schema=None) as batch_op:
        batch_op.drop_index("ix_usage_daily_user_day")
    op.drop_table("usage_daily")
    with op.batch_alter_table("invites", schema=None) as batch_op:
        batch_op.drop_column("revoked_at")
        batch_op.drop_column("email")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_target")
        batch_op.drop_index("ix_audit_log_action_time")
        batch_op.drop_index("ix_audit_log_actor_time")
        batch_op.drop_index("ix_audit_log_time")
    op.drop_table("audit_log")
