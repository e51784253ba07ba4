from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Enum, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, utcnow
from app.models.region import Region
from rules.vocab import Tier, values


class Salesperson(Base):
    """The company's salesperson (业务员) responsible for a region and its customers."""

    __tablename__ = "salesperson"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    agreement_signed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    region: Mapped[Region] = relationship()


distributor_region = Table(
    "distributor_region",
    Base.metadata,
    Column("distributor_id", ForeignKey("distributor.id", ondelete="CASCADE"), primary_key=True),
    Column("region_id", ForeignKey("region.id"), primary_key=True, index=True),
)


class Distributor(Base):
    """A customer (经销商) with a territory of one or more regions."""

    __tablename__ = "distributor"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    tier: Mapped[Tier] = mapped_column(
        Enum(Tier, native_enum=False, values_callable=values, length=20)
    )
    salesperson_id: Mapped[int] = mapped_column(ForeignKey("salesperson.id"), index=True)
    agreement_signed_at: Mapped[datetime | None]
    """When the non-diversion agreement (不窜货乱价协议) was signed; no fine without it."""
    webhook_url: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    salesperson: Mapped[Salesperson] = relationship()
    regions: Mapped[list[Region]] = relationship(secondary=distributor_region, order_by=Region.code)
