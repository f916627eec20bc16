"""The link between an OpenID Connect identity (issuer + subject) and a Lockgate account.

An account is found by ``(issuer, subject)``, never by email alone: the ``sub`` claim is the
provider's stable identifier, while an address can be renamed or handed to someone else. The
email is matched only once, when an identity is first linked (``oidc.link_existing_accounts``).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lockgate.db.base import Base, IdMixin, utcnow


class OidcIdentity(IdMixin, Base):
    __tablename__ = "oidc_identities"
    __table_args__ = (UniqueConstraint("issuer", "subject", name="uq_oidc_identities_issuer"),)

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    issuer: Mapped[str] = mapped_column(String(512))
    subject: Mapped[str] = mapped_column(String(255))
    # The address the provider last asserted (verified), for admins reading the table.
    email: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime] = mapped_column(default=utcnow)
