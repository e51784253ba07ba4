from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, Enum, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow
from rules.vocab import CodeLevel, values


class BatchStatus(enum.StrEnum):
    issuing = "issuing"
    """Codes are being committed chunk by chunk; `issued` of `quantity` are stored so far."""
    complete = "complete"
    failed = "failed"
    """Issuing stopped on an error; `channelguard codes resume` completes it."""


class CodeBatch(Base):
    """A run of carton codes issued for one product and one sales region."""

    __tablename__ = "code_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    key_id: Mapped[str] = mapped_column(String(8))
    """The signing key that signed every code of the batch."""
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[BatchStatus] = mapped_column(
        Enum(BatchStatus, native_enum=False, length=10), default=BatchStatus.complete
    )
    issued: Mapped[int] = mapped_column(Integer, default=0)
    """Codes stored so far; equals `quantity` once complete. Moves in the same transaction as
    the codes it counts, so it is exact after any crash."""
    completed_at: Mapped[datetime | None]
    level: Mapped[CodeLevel] = mapped_column(
        Enum(CodeLevel, native_enum=False, values_callable=values, length=10),
        default=CodeLevel.CARTON,
        server_default=CodeLevel.CARTON.value,
    )
    """Carton codes, or item codes (stored in `item_code`) to be packed into cartons."""


class CartonStatus(enum.StrEnum):
    active = "active"
    voided = "voided"


class IssuedCode:
    """What every signed code we issue carries, a carton's or an item's: its serial, the batch,
    product and region (AI 91) it was issued for, its signature, whether it was voided, and how
    often the public verified it."""

    # sort_order keeps the columns where the migrations put them: the code's identity first,
    # its public verification count last.
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, sort_order=-1
    )
    serial: Mapped[str] = mapped_column(String(20), unique=True, sort_order=-1)
    batch_id: Mapped[int] = mapped_column(ForeignKey("code_batch.id"), index=True, sort_order=-1)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), sort_order=-1)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), sort_order=-1)
    signature: Mapped[str] = mapped_column(String(40), sort_order=-1)
    status: Mapped[CartonStatus] = mapped_column(
        Enum(CartonStatus, native_enum=False, length=10),
        default=CartonStatus.active,
        sort_order=-1,
    )
    voided_at: Mapped[datetime | None] = mapped_column(sort_order=-1)
    void_reason: Mapped[str | None] = mapped_column(String(200), sort_order=-1)
    verifications: Mapped[int] = mapped_column(Integer, default=0, server_default="0", sort_order=1)
    """Public verifications of this code so far (the sightings kept are bounded)."""
    first_verified_at: Mapped[datetime | None] = mapped_column(sort_order=1)


class Pallet(Base):
    """An SSCC-labelled pallet (AI 00): scanning or shipping it covers the cartons on it."""

    __tablename__ = "pallet"

    id: Mapped[int] = mapped_column(primary_key=True)
    sscc: Mapped[str] = mapped_column(String(18), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Carton(IssuedCode, Base):
    """One issued carton code. The serial is the business key; the schema is ready to be
    sharded by it. The authorized territory is the coded region until a waybill delivers the
    carton to a distributor, after which it is that distributor's territory."""

    __tablename__ = "carton"

    pallet_id: Mapped[int | None] = mapped_column(ForeignKey("pallet.id"), index=True)
    distributor_id: Mapped[int | None] = mapped_column(ForeignKey("distributor.id"), index=True)
    """The distributor a delivered waybill handed the carton to; None until delivered."""
    delivered_at: Mapped[datetime | None]
    custodian_type: Mapped[str | None] = mapped_column(String(12))
    """Who holds the carton now (`distributor` or `sub_customer`); None before delivery."""
    custodian_id: Mapped[int | None]
    pending_to_type: Mapped[str | None] = mapped_column(String(12))
    """Where its holder shipped it, until the receiver scans it in."""
    pending_to_id: Mapped[int | None]


class ItemCode(IssuedCode, Base):
    """One issued item code (bottle, cap or box), signed like a carton's with its own serial.
    Packed (关联) into one carton at a time; a scan of it is judged as that carton's."""

    __tablename__ = "item_code"

    carton_id: Mapped[int | None] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), ForeignKey("carton.id"), index=True
    )
    """The carton it is packed in; None until packed."""
    packed_at: Mapped[datetime | None]
