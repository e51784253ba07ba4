from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Enum, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow
from rules.vocab import SanctionStep, values


class Sanction(Base):
    """A step of the sanctions ladder (SPEC §2.15) decided when a diversion was confirmed, with
    the rule and policy version that chose it and the confirmed violations it rests on."""

    __tablename__ = "sanction"

    id: Mapped[int] = mapped_column(primary_key=True)
    distributor_id: Mapped[int] = mapped_column(ForeignKey("distributor.id"), index=True)
    violation_id: Mapped[int] = mapped_column(ForeignKey("violation.id"), index=True)
    """The confirmation that climbed the ladder."""
    step: Mapped[SanctionStep] = mapped_column(
        Enum(SanctionStep, native_enum=False, values_callable=values, length=20)
    )
    offence_number: Mapped[int] = mapped_column(Integer)
    rests_on: Mapped[list[int]] = mapped_column(JSON)
    """Ids of the confirmed violations within the window that this step counts."""
    period: Mapped[str] = mapped_column(String(7))
    """The month (business time zone) it was decided in: a rebate cut applies to that month."""
    rule: Mapped[str] = mapped_column(String(60))
    policy_version: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(String(300))
    actor: Mapped[str] = mapped_column(String(80))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)
    withdrawn_at: Mapped[datetime | None]
    """Set when the violation it rests on was reversed: the step no longer applies."""
    lifted_at: Mapped[datetime | None]
    """A supply stop HQ lifted."""
    lifted_by: Mapped[str | None] = mapped_column(String(80))
