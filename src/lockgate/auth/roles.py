"""The one authorisation rule of the admin console, applied by every admin service method (not
only by a route dependency), so a new endpoint cannot forget it."""

from __future__ import annotations

from lockgate.errors import Forbidden
from lockgate.models import User


class AdminOnly(Forbidden):
    code = "admin_only"
    message = "Only administrators can do this."


def require_admin(user: User) -> User:
    if not user.is_admin or not user.is_active:
        raise AdminOnly()
    return user
