from __future__ import annotations

from datetime import datetime

from sqlalchemy import Enum, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow
from app.models.mixins import Coded
from rules.vocab import SubCustomerTier, values


class DirectAccount(Coded, Base):
    """A shop the company's office serves itself (代理批发关系, seed step 7.2): its volume accrues
    to a chosen wholesaler's reward base (see DirectAccountAssignment)."""

    __tablename__ = "direct_account"

    tier: Mapped[SubCustomerTier] = mapped_column(
        Enum(SubCustomerTier, native_enum=False, values_callable=values, length=20),
        default=SubCustomerTier.RETAIL,
    )
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DirectAccountAssignment(Base):
    """From `effective_from` on, the account's sales are credited to this wholesaler. Rows are
    never changed: a new wholesaler is a new row, so every past sale keeps its beneficiary."""

    __tablename__ = "direct_account_assignment"
    __table_args__ = (UniqueConstraint("account_id", "effective_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("direct_account.id"), index=True)
    distributor_id: Mapped[int] = mapped_column(ForeignKey("distributor.id"), index=True)
    effective_from: Mapped[datetime]
    set_by: Mapped[str] = mapped_column(String(80))
    set_at: Mapped[datetime] = mapped_column(default=utcnow)
