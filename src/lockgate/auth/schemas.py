"""Auth request and response bodies."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, EmailStr, Field

from lockgate.auth.emails import InvalidEmail, normalize_email


def _canonical(value: object) -> object:
    """The canonical spelling, so that the address checks see what will be stored."""
    if not isinstance(value, str):
        return value
    try:
        return normalize_email(value)
    except InvalidEmail as exc:
        raise ValueError(exc.message) from None


CanonicalEmail = Annotated[EmailStr, BeforeValidator(_canonical)]
"""An email address, checked in the canonical spelling it will be stored in."""


class RegisterIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: CanonicalEmail = Field(max_length=320)
    password: str = Field(max_length=1024)
    invite_code: str | None = Field(default=None, max_length=200)


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(max_length=320)
    password: str = Field(max_length=1024)


class PasswordChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: str = Field(max_length=1024)
    new_password: str = Field(max_length=1024)


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str
    is_admin: bool
    created_at: datetime


class AuthOut(BaseModel):
    """Returned at sign-in and registration; the CSRF token is also in the lockgate_csrf cookie."""

    user: UserOut
    csrf_token: str


class SessionOut(BaseModel):
    id: uuid.UUID
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    user_agent: str
    ip: str
    current: bool
