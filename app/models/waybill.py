from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Enum, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow


class WaybillStatus(enum.StrEnum):
    active = "active"
    delivered = "delivered"
    cancelled = "cancelled"


class Waybill(Base):
    """A controlled waybill (控制运货单): one vehicle's delivery to one distributor, on a route."""

    __tablename__ = "waybill"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    vehicle_plate: Mapped[str] = mapped_column(String(20))
    vehicle_id: Mapped[int | None] = mapped_column(ForeignKey("vehicle.id"), index=True)
    """The registered vehicle, when the plate is on the register (统一备案)."""
    driver: Mapped[str | None] = mapped_column(String(80))
    dispatched_at: Mapped[datetime]
    expected_arrival: Mapped[datetime]
    destination_distributor_id: Mapped[int] = mapped_column(
        ForeignKey("distributor.id"), index=True
    )
    salesperson_id: Mapped[int] = mapped_column(ForeignKey("salesperson.id"), index=True)
    issuer: Mapped[str] = mapped_column(String(80))
    """The issuing officer named on the paper waybill."""
    status: Mapped[WaybillStatus] = mapped_column(
        Enum(WaybillStatus, native_enum=False, length=10), default=WaybillStatus.active
    )
    delivered_at: Mapped[datetime | None]
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WaybillStop(Base):
    """One region on a waybill's route, in order."""

    __tablename__ = "waybill_stop"

    waybill_id: Mapped[int] = mapped_column(ForeignKey("waybill.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)


class WaybillCarton(Base):
    """A carton on a waybill. `active` is true while the waybill is; the partial unique index
    keeps a carton on at most one active waybill, whatever races happen."""

    __tablename__ = "waybill_carton"

    waybill_id: Mapped[int] = mapped_column(ForeignKey("waybill.id"), primary_key=True)
    carton_id: Mapped[int] = mapped_column(ForeignKey("carton.id"), primary_key=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


Index(
    "uq_waybill_carton_active",
    WaybillCarton.carton_id,
    unique=True,
    sqlite_where=WaybillCarton.active,
    postgresql_where=WaybillCarton.active,
)


class Notification(Base):
    """Something a user should know (a waybill passing through their region), per user."""

    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(200))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]


class WebhookDelivery(Base):
    """Outbox row: a webhook call to a distributor (or to HQ when `distributor_id` is None),
    retried with backoff until delivered."""

    __tablename__ = "webhook_delivery"

    id: Mapped[int] = mapped_column(primary_key=True)
    distributor_id: Mapped[int | None] = mapped_column(ForeignKey("distributor.id"), index=True)
    url: Mapped[str] = mapped_column(String(500))
    event: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    delivered_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
