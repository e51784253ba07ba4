from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base
from app.models.mixins import Coded, Timestamped
from rules.vocab import RegionKind, values


class Region(Coded, Timestamped, Base):
    """A sales territory. Regions nest: a carton sold into a region may be anywhere inside it."""

    __tablename__ = "region"

    kind: Mapped[RegionKind] = mapped_column(
        Enum(RegionKind, native_enum=False, values_callable=values, length=20)
    )
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"), index=True)
    boundary: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """GeoJSON Polygon or MultiPolygon (lon, lat order), validated on the way in."""
    colour: Mapped[str | None] = mapped_column(String(7))
    """The region's label colour (商标颜色差异化), "#RRGGBB": a band on its carton labels."""
