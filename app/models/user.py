from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, utcnow
from rules.people import DISPLAY_NAME_MAX


class Role(enum.StrEnum):
    admin = "admin"
    hq_auditor = "hq_auditor"
    inspector = "inspector"
    distributor = "distributor"
    salesperson = "salesperson"
    sub_customer = "sub_customer"


class User(Base):
    """A person who calls the API; distributor and salesperson users are bound to their party."""

    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(DISPLAY_NAME_MAX))
    """What pages call the person (王建国); None falls back to the party's name, then the login."""
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=20))
    distributor_id: Mapped[int | None] = mapped_column(ForeignKey("distributor.id"), index=True)
    salesperson_id: Mapped[int | None] = mapped_column(ForeignKey("salesperson.id"), index=True)
    sub_customer_id: Mapped[int | None] = mapped_column(ForeignKey("sub_customer.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    disabled_at: Mapped[datetime | None]

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user")


class ApiToken(Base):
    """A bearer token. Only its SHA-256 is kept: tokens are 256-bit random, so a fast hash is
    enough and lets the lookup use an index."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    """The first characters of the token, shown in listings so a user can tell tokens apart."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    kind: Mapped[str] = mapped_column(String(10), default="api", server_default="api")
    """`api` (a machine's token, never expires) or `session` (a phone signed in by a one-time
    link: it expires, and HQ lists and revokes it)."""
    expires_at: Mapped[datetime | None]
    """When a session stops working; None for API tokens."""
    issued_by: Mapped[str | None] = mapped_column(String(80))
    """For a session: the admin who issued the sign-in link it came from."""

    user: Mapped[User] = relationship(back_populates="tokens")


class SignInTicket(Base):
    """A one-time sign-in link for a phone. Only the ticket's SHA-256 is kept; it works once,
    within minutes, and becomes a session token (`ApiToken` of kind `session`)."""

    __tablename__ = "sign_in_ticket"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    ticket_hash: Mapped[str] = mapped_column(String(64), unique=True)
    issued_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    session_id: Mapped[int | None] = mapped_column(ForeignKey("api_token.id"))
    """The session the ticket became."""
