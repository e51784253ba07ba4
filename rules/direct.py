"""Direct retail accounts (治本, seed step 7.2): shops the company's office serves itself, whose
volume accrues to a chosen wholesaler's reward base from a given date. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Assignment:
    distributor_id: int
    effective_from: datetime


@dataclass(frozen=True)
class Beneficiary:
    """Who a direct sale at a given time is credited to, and why."""

    distributor_id: int | None
    effective_from: datetime | None
    rule: str


def beneficiary(assignments: Sequence[Assignment], at: datetime) -> Beneficiary:
    """The wholesaler whose assignment took effect last at or before the sale; a sale before
    any assignment credits nobody (the company keeps it: no reward base to grow)."""
    if at.tzinfo is None:
        raise ValueError("at must be timezone-aware")
    in_force = [a for a in assignments if a.effective_from <= at]
    if not in_force:
        return Beneficiary(None, None, "direct_account.no_wholesaler_yet")
    latest = max(in_force, key=lambda a: a.effective_from)
    return Beneficiary(latest.distributor_id, latest.effective_from, "direct_account.wholesaler")
