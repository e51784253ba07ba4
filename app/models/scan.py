from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow

BigId = BigInteger().with_variant(Integer, "sqlite")


class IdempotencyKey(Base):
    """A scan upload's Idempotency-Key: the request's fingerprint and, once done, the response
    to replay. Committed in the same transaction as the scans it produced."""

    __tablename__ = "idempotency_key"

    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    response: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Photo(Base):
    """An evidence photo, stored by content hash (the same photo twice is stored once)."""

    __tablename__ = "photo"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(40))
    size_bytes: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Scan(Base):
    """One reading of one payload at a checkpoint or GPS position, with its verdict. Rows are
    never changed. On PostgreSQL the table is partitioned by month of `scanned_at` and its
    primary key is (id, scanned_at) (app/partitions); the ORM's identity stays `id`, unique
    through its sequence, so SQLite keeps its plain integer key."""

    __tablename__ = "scan"
    __table_args__ = (Index("ix_scan_carton_id_scanned_at", "carton_id", "scanned_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    scanned_at: Mapped[datetime]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    payload: Mapped[str] = mapped_column(Text)
    serial: Mapped[str | None] = mapped_column(String(20))
    item_serial: Mapped[str | None] = mapped_column(String(20))
    """The item code read, when the scan was of an item judged as its carton (`serial`)."""
    carton_id: Mapped[int | None] = mapped_column(ForeignKey("carton.id"))
    pallet_id: Mapped[int | None] = mapped_column(ForeignKey("pallet.id"), index=True)
    checkpoint_id: Mapped[int | None] = mapped_column(ForeignKey("checkpoint.id"), index=True)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"), index=True)
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    observed_price_fen: Mapped[int | None] = mapped_column(BigInteger)
    """Observed shelf price per unit, in fen."""
    device_id: Mapped[str | None] = mapped_column(String(80))
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    source: Mapped[str] = mapped_column(String(10), default="api")
    """api, photo or epcis."""
    verdict: Mapped[str] = mapped_column(String(12), index=True)
    rule: Mapped[str] = mapped_column(String(40))
    """The verdict rule that decided."""
    policy_version: Mapped[str] = mapped_column(String(40))
    findings: Mapped[list[str]] = mapped_column(JSON, default=list)
    detail: Mapped[str | None] = mapped_column(String(300))
    photo_sha256: Mapped[str | None] = mapped_column(ForeignKey("photo.sha256"))
    violation_id: Mapped[int | None] = mapped_column(ForeignKey("violation.id"), index=True)
