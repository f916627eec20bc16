"""Alembic environment: runs on a connection handed in by :mod:`lockgate.db.migrate`."""

from __future__ import annotations

from alembic import context

import lockgate.models  # noqa: F401  (registers every table)
from lockgate.db.base import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - always driven through lockgate.db.migrate
    raise RuntimeError("run migrations with `lockgate migrate`")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,  # SQLite needs batch mode for ALTER
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
