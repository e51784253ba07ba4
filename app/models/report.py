from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Enum,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow
from rules.vocab import PartyType


class SalesTarget(Base):
    """A distributor's or salesperson's credited-sales target for one month: plan completion is
    credited sales / target. Setting it again replaces it; the audit log keeps every value."""

    __tablename__ = "sales_target"
    __table_args__ = (
        UniqueConstraint("party_type", "party_code", "period"),
        CheckConstraint("target_fen >= 0", name="target_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    party_type: Mapped[PartyType] = mapped_column(Enum(PartyType, native_enum=False, length=12))
    party_code: Mapped[str] = mapped_column(String(40))
    period: Mapped[str] = mapped_column(String(7), index=True)
    """YYYY-MM in the business time zone, like ledger periods."""
    target_fen: Mapped[int] = mapped_column(BigInteger)
    set_by: Mapped[str] = mapped_column(String(80))
    set_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ScorecardGrade(Base):
    """An entered grade (1-5) for one of the four star indicators the service does not compute
    (contract completion, sales share, sales growth, profitability), per distributor and period."""

    __tablename__ = "scorecard_grade"
    __table_args__ = (
        UniqueConstraint("distributor_id", "period", "indicator"),
        CheckConstraint("grade BETWEEN 1 AND 5", name="grade_1_to_5"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    distributor_id: Mapped[int] = mapped_column(ForeignKey("distributor.id"), index=True)
    period: Mapped[str] = mapped_column(String(7))
    """YYYY-MM or YYYY: the period the grade rates."""
    indicator: Mapped[str] = mapped_column(String(30))
    grade: Mapped[int] = mapped_column(Integer)
    set_by: Mapped[str] = mapped_column(String(80))
    set_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
