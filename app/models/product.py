from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base
from app.models.mixins import Timestamped


class Product(Timestamped, Base):
    """A carton-level trade item, identified by its GTIN-14."""

    __tablename__ = "product"

    id: Mapped[int] = mapped_column(primary_key=True)
    gtin: Mapped[str] = mapped_column(String(14), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    units_per_carton: Mapped[int] = mapped_column(Integer)
    carton_value_fen: Mapped[int] = mapped_column(BigInteger)
    """Value of one carton in fen (0.01 CNY): the amount a diversion moves between parties."""
    price_floors_fen: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    """Lowest allowed unit price per customer tier, in fen."""
