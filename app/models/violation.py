from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Enum, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow
from rules.vocab import ViolationKind, ViolationStatus, values


class Violation(Base):
    """Goods found outside their territory (or a cloned code), and what HQ decided about it."""

    __tablename__ = "violation"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ViolationKind] = mapped_column(
        Enum(ViolationKind, native_enum=False, values_callable=values, length=12)
    )
    status: Mapped[ViolationStatus] = mapped_column(
        Enum(ViolationStatus, native_enum=False, values_callable=values, length=12),
        default=ViolationStatus.OPEN,
        index=True,
    )
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    """The invaded region: where the goods were found."""
    diverting_distributor_id: Mapped[int | None] = mapped_column(
        ForeignKey("distributor.id"), index=True
    )
    diverting_salesperson_id: Mapped[int | None] = mapped_column(
        ForeignKey("salesperson.id"), index=True
    )
    diverting_sub_customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("sub_customer.id"), index=True
    )
    """The sub-customer that held the goods last (its distributor answers jointly)."""
    blame_rule: Mapped[str | None] = mapped_column(String(40))
    """The rule (rules.blame) that named the diverting parties, under `policy_version`."""
    sub_customer_fine_fen: Mapped[int | None] = mapped_column(BigInteger)
    sub_customer_fine_reason: Mapped[str | None] = mapped_column(String(300))
    salesperson_fine_fen: Mapped[int | None] = mapped_column(BigInteger)
    """The diverting salesperson's own fine, under its own agreement (policy `salespeople`)."""
    salesperson_fine_reason: Mapped[str | None] = mapped_column(String(300))
    invaded_distributor_id: Mapped[int | None] = mapped_column(
        ForeignKey("distributor.id"), index=True
    )
    """None in a guerrilla zone nobody holds; the policy says who is credited then."""
    invaded_salesperson_id: Mapped[int | None] = mapped_column(
        ForeignKey("salesperson.id"), index=True
    )
    cartons: Mapped[int] = mapped_column(Integer)
    value_fen: Mapped[int] = mapped_column(BigInteger)
    """Carton value x cartons at detection, in fen: the amount a confirmation transfers."""
    detected_at: Mapped[datetime]
    policy_version: Mapped[str] = mapped_column(String(40))
    """The policy that decided the verdict; decisions record their own version on the ledger."""
    advisory: Mapped[bool] = mapped_column(Boolean, default=False)
    """In a market where the law forbids penalising passive sales: recorded and reported, but
    no fine and no transfer."""
    fine_fen: Mapped[int | None] = mapped_column(BigInteger)
    fine_reason: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ViolationCarton(Base):
    """A carton counted by a violation. `active` stays true unless the violation is dismissed
    or reversed; the partial unique index means a carton is never counted twice in one kind of
    case (a cloned code is its own case beside the carton's diversion)."""

    __tablename__ = "violation_carton"

    violation_id: Mapped[int] = mapped_column(ForeignKey("violation.id"), primary_key=True)
    carton_id: Mapped[int] = mapped_column(ForeignKey("carton.id"), primary_key=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    kind: Mapped[str] = mapped_column(String(12), default="diversion", server_default="diversion")


Index(
    "uq_violation_carton_active",
    ViolationCarton.carton_id,
    ViolationCarton.kind,
    unique=True,
    sqlite_where=ViolationCarton.active,
    postgresql_where=ViolationCarton.active,
)


class ViolationEvent(Base):
    """One step of a violation's life: opened, appealed, confirmed, dismissed, reversed,
    with who did it, when and why."""

    __tablename__ = "violation_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    violation_id: Mapped[int] = mapped_column(ForeignKey("violation.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(12))
    to_status: Mapped[str] = mapped_column(String(12))
    actor: Mapped[str] = mapped_column(String(80))
    note: Mapped[str | None] = mapped_column(Text)
    evidence: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)
