"""canonical emails

Stored emails were ``strip().lower()``; they become :func:`lockgate.auth.emails.normalize_email`
(NFKC, case folding, one form per domain), the only form a lookup now matches. Nothing changes
for an ASCII address. A row whose canonical form another account already holds (``Straße@…``
next to ``strasse@…``: the look-alike accounts this form exists to prevent) or that has none
(a control or zero-width character) is left as it is and logged by id for the operator to
resolve: this migration never merges or deletes an account.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 16:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from lockgate.auth.emails import InvalidEmail, normalize_email
from lockgate.observability.logging import get_logger

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_users = sa.table("users", sa.column("id", sa.Uuid()), sa.column("email", sa.String(320)))


def upgrade() -> None:
    log = get_logger("lockgate.migrate")
    bind = op.get_bind()
    rows = bind.execute(sa.select(_users.c.id, _users.c.email).order_by(_users.c.email)).all()
    taken = {email for _, email in rows}
    for user_id, email in rows:
        try:
            canonical = normalize_email(email)
        except InvalidEmail as exc:
            log.warning("email_not_canonical", user_id=str(user_id), reason=exc.message)
            continue
        if canonical == email:
            continue
        if canonical in taken:
            log.warning("email_canonical_form_taken", user_id=str(user_id))
            continue
        bind.execute(sa.update(_users).where(_users.c.id == user_id).values(email=canonical))
        taken.discard(email)
        taken.add(canonical)


def downgrade() -> None:
    """Nothing to undo: a canonical email is also a valid address in the old form."""
