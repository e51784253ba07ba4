from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Enum, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow
from app.models.mixins import Coded, Timestamped
from rules.vocab import CustodyKind, CustodyParty, SubCustomerStatus, SubCustomerTier, values


class SubCustomer(Coded, Timestamped, Base):
    """A customer of a distributor (下级客户): registered under the distributor that supplies it,
    holding an authorized-dealer certificate (指定经销证书) once HQ approves it."""

    __tablename__ = "sub_customer"

    tier: Mapped[SubCustomerTier] = mapped_column(
        Enum(SubCustomerTier, native_enum=False, values_callable=values, length=20)
    )
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    distributor_id: Mapped[int] = mapped_column(ForeignKey("distributor.id"), index=True)
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    contact: Mapped[str | None] = mapped_column(String(200))
    agreement_signed_at: Mapped[datetime | None]
    """Its own non-diversion agreement: without one it is never fined, only marked down."""
    status: Mapped[SubCustomerStatus] = mapped_column(
        Enum(SubCustomerStatus, native_enum=False, values_callable=values, length=10),
        default=SubCustomerStatus.PENDING,
    )
    approved_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    created_by: Mapped[str] = mapped_column(String(80))


class CustodyEvent(Base):
    """One hand-off of one carton. Rows are never changed: the chain is the carton's history."""

    __tablename__ = "custody_event"
    __table_args__ = (Index("ix_custody_event_carton_id_at", "carton_id", "at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    carton_id: Mapped[int] = mapped_column(ForeignKey("carton.id"))
    kind: Mapped[CustodyKind] = mapped_column(
        Enum(CustodyKind, native_enum=False, values_callable=values, length=10)
    )
    from_type: Mapped[CustodyParty | None] = mapped_column(
        Enum(CustodyParty, native_enum=False, values_callable=values, length=12)
    )
    """None for a delivery: the goods came from the company."""
    from_id: Mapped[int | None]
    to_type: Mapped[CustodyParty] = mapped_column(
        Enum(CustodyParty, native_enum=False, values_callable=values, length=12)
    )
    to_id: Mapped[int]
    at: Mapped[datetime]
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    ref: Mapped[str | None] = mapped_column(String(200))
    """The waybill number of a delivery, or the Idempotency-Key of the batch that scanned it."""
    outcome: Mapped[str] = mapped_column(String(10), default="accepted")
    reason: Mapped[str | None] = mapped_column(String(40))
    violation_id: Mapped[int | None] = mapped_column(ForeignKey("violation.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
