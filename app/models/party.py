from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Enum, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base
from app.models.mixins import Coded, Timestamped
from app.models.region import Region
from rules.vocab import Tier, values


class Salesperson(Coded, Timestamped, Base):
    """The company's salesperson (业务员) responsible for a region and its customers."""

    __tablename__ = "salesperson"

    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    agreement_signed_at: Mapped[datetime | None]

    region: Mapped[Region] = relationship()


distributor_region = Table(
    "distributor_region",
    Base.metadata,
    Column("distributor_id", ForeignKey("distributor.id", ondelete="CASCADE"), primary_key=True),
    Column("region_id", ForeignKey("region.id"), primary_key=True, index=True),
)


class Distributor(Coded, Timestamped, Base):
    """A customer (经销商) with a territory of one or more regions."""

    __tablename__ = "distributor"

    tier: Mapped[Tier] = mapped_column(
        Enum(Tier, native_enum=False, values_callable=values, length=20)
    )
    salesperson_id: Mapped[int] = mapped_column(ForeignKey("salesperson.id"), index=True)
    agreement_signed_at: Mapped[datetime | None]
    """When the non-diversion agreement (不窜货乱价协议) was signed; no fine without it."""
    webhook_url: Mapped[str | None] = mapped_column(String(500))

    salesperson: Mapped[Salesperson] = relationship()
    regions: Mapped[list[Region]] = relationship(secondary=distributor_region, order_by=Region.code)
