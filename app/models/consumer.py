"""Public verifications (consumers and shopkeepers as sensors) and the weak signals they raise."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Enum, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow
from rules.vocab import ConsumerSignalKind, values

BigId = BigInteger().with_variant(Integer, "sqlite")


class PublicVerification(Base):
    """One verification of a genuine code on the public page: a sighting. The position is
    only there if the visitor shared it, rounded to about 1 km, or the city they picked.
    A code keeps at most the policy's number of these; its count goes on in the code row.
    On PostgreSQL the table is partitioned by month of `at` and its primary key is (id, at)
    (app/partitions); the ORM's identity stays `id`, unique through its sequence."""

    __tablename__ = "public_verification"
    __table_args__ = (
        Index("ix_public_verification_carton_id_at", "carton_id", "at"),
        Index("ix_public_verification_item_id_at", "item_id", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    carton_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("carton.id"))
    """The carton verified, or the carton the verified item was packed in at the time."""
    item_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("item_code.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    city_code: Mapped[str | None] = mapped_column(String(40))
    """The region the visitor picked instead of sharing a position."""
    place_region_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"))
    placed_at: Mapped[datetime | None]


class ConsumerSignal(Base):
    """A weak signal for HQ from public verifications: a suspected clone or a suspected
    diversion. Never a violation by itself; an inspector goes and looks."""

    __tablename__ = "consumer_signal"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[ConsumerSignalKind] = mapped_column(
        Enum(ConsumerSignalKind, native_enum=False, values_callable=values, length=20),
        index=True,
    )
    carton_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("carton.id"), index=True)
    item_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("item_code.id"), index=True)
    # No foreign key: on PostgreSQL the sightings are partitioned by month (key (id, at)).
    verification_id: Mapped[int] = mapped_column(BigId)
    code_region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    place_region_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"), index=True)
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    at: Mapped[datetime]
    rule: Mapped[str] = mapped_column(String(40))
    policy_version: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
