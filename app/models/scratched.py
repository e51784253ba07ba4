"""Cartons found with their codes scratched off (刮码): evidence that someone hid where they came
from."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow

BigId = BigInteger().with_variant(Integer, "sqlite")


class ScratchedCarton(Base):
    """An inspector's record of cartons whose codes were scratched off: where and when, what
    product, how many, the price seen, photos and a note. When one of the bottles' item codes
    was scanned, the scan (with its normal verdict) names the carton and its region."""

    __tablename__ = "scratched_carton"
    __table_args__ = (UniqueConstraint("user_id", "idempotency_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    observed_at: Mapped[datetime]
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    checkpoint_id: Mapped[int | None] = mapped_column(ForeignKey("checkpoint.id"))
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id"))
    carton_count: Mapped[int] = mapped_column(Integer)
    observed_price_fen: Mapped[int | None] = mapped_column(BigInteger)
    """Observed shelf price per unit, in fen."""
    note: Mapped[str | None] = mapped_column(Text)
    photo_sha256s: Mapped[list[str]] = mapped_column(JSON, default=list)
    item_payload: Mapped[str | None] = mapped_column(Text)
    """The item code scanned on one of the bottles, as the reader gave it."""
    scan_id: Mapped[int | None] = mapped_column(BigId)
    """The scan of that item code, judged as its carton. No foreign key: on PostgreSQL `scan`
    is partitioned by month and can only be referenced through (id, scanned_at)."""
    carton_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("carton.id"), index=True)
    verdict: Mapped[str | None] = mapped_column(String(12))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    """A phone's retry of the same record finds it here instead of recording it twice."""
