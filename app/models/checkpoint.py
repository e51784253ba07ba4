from __future__ import annotations

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base
from app.models.mixins import Coded, Timestamped


class Checkpoint(Coded, Timestamped, Base):
    """A supervision station (监督站) on a road into a region, or a market an inspector works."""

    __tablename__ = "checkpoint"

    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    lat: Mapped[float | None]
    lon: Mapped[float | None]
