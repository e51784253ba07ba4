from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, utcnow


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

    user: Mapped[User] = relationship(back_populates="tokens")
