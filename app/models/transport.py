"""Transport and field control: the vehicle register (统一备案), checkpoint looks at waybills,
and the anti-diversion squads (反窜货行动组) that staff the checkpoints."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, ForeignKey, Index, String, Table
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow
from app.models.mixins import Coded, Timestamped

vehicle_distributor = Table(
    "vehicle_distributor",
    Base.metadata,
    Column("vehicle_id", ForeignKey("vehicle.id", ondelete="CASCADE"), primary_key=True),
    Column("distributor_id", ForeignKey("distributor.id"), primary_key=True, index=True),
)
"""The distributors a registered vehicle may deliver to."""


class Vehicle(Timestamped, Base):
    """A delivery vehicle on the company's register. Revoked vehicles stay on it (history)."""

    __tablename__ = "vehicle"

    id: Mapped[int] = mapped_column(primary_key=True)
    plate: Mapped[str] = mapped_column(String(12), unique=True)
    """Normalized: no separators, upper case (`鲁A12345`)."""
    owner: Mapped[str] = mapped_column(String(200))
    driver_name: Mapped[str] = mapped_column(String(80))
    driver_phone: Mapped[str] = mapped_column(String(20))
    revoked_at: Mapped[datetime | None]
    revoke_reason: Mapped[str | None] = mapped_column(String(300))


class WaybillInspection(Base):
    """A checkpoint scanned a waybill's QR and compared the truck with it."""

    __tablename__ = "waybill_inspection"

    id: Mapped[int] = mapped_column(primary_key=True)
    waybill_id: Mapped[int] = mapped_column(ForeignKey("waybill.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    checkpoint_id: Mapped[int | None] = mapped_column(ForeignKey("checkpoint.id"))
    seen_plate: Mapped[str] = mapped_column(String(20))
    verdict: Mapped[str] = mapped_column(String(30))
    findings: Mapped[str] = mapped_column(String(200))
    """Comma-separated finding codes (rules.transport), empty when all matched."""
    at: Mapped[datetime] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Squad(Coded, Timestamped, Base):
    """An anti-diversion squad: one per region, led by the region's leading distributor."""

    __tablename__ = "squad"

    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), unique=True)
    leader_distributor_id: Mapped[int] = mapped_column(ForeignKey("distributor.id"), index=True)


squad_salesperson = Table(
    "squad_salesperson",
    Base.metadata,
    Column("squad_id", ForeignKey("squad.id", ondelete="CASCADE"), primary_key=True),
    Column("salesperson_id", ForeignKey("salesperson.id"), primary_key=True, index=True),
)

squad_checkpoint = Table(
    "squad_checkpoint",
    Base.metadata,
    Column("squad_id", ForeignKey("squad.id", ondelete="CASCADE"), nullable=False, index=True),
    # A checkpoint is staffed by one squad.
    Column("checkpoint_id", ForeignKey("checkpoint.id"), primary_key=True),
)

squad_inspector = Table(
    "squad_inspector",
    Base.metadata,
    Column("squad_id", ForeignKey("squad.id", ondelete="CASCADE"), nullable=False, index=True),
    # An inspector belongs to one squad at a time.
    Column("user_id", ForeignKey("app_user.id"), primary_key=True),
)


class WebhookRelayCursor(Base):
    """How far the webhook relay has read one source of inbox events (violation events,
    consumer signals): every later row is still to be sent."""

    __tablename__ = "webhook_relay_cursor"

    source: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_id: Mapped[int] = mapped_column(BigInteger, default=0)


Index("ix_waybill_inspection_checkpoint_at", WaybillInspection.checkpoint_id, WaybillInspection.at)
