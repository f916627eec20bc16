"""Write the next Alembic migration from the models: ``make migration m="add usage table"``."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from lockgate.db.migrate import MIGRATIONS_DIR, autogenerate


def main() -> None:
    message = " ".join(sys.argv[1:]).strip()
    if not message:
        sys.exit("usage: new_migration.py 'what changed'")
    existing = sorted(p.name for p in (MIGRATIONS_DIR / "versions").glob("[0-9]*.py"))
    number = int(existing[-1][:4]) + 1 if existing else 1
    with tempfile.TemporaryDirectory() as tmp:
        autogenerate(f"sqlite:///{Path(tmp) / 'scratch.db'}", message, f"{number:04d}")


if __name__ == "__main__":
    main()
