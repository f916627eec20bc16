"""Every query of OpenID Connect identities."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from lockgate.models import OidcIdentity, User


class IdentityRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def find(self, issuer: str, subject: str) -> tuple[OidcIdentity, User] | None:
        row = (
            await self.session.execute(
                select(OidcIdentity, User)
                .join(User, User.id == OidcIdentity.user_id)
                .where(OidcIdentity.issuer == issuer, OidcIdentity.subject == subject)
            )
        ).first()
        return (row[0], row[1]) if row else None

    async def add(self, identity: OidcIdentity) -> OidcIdentity:
        self.session.add(identity)
        await self.session.flush()
        return identity
