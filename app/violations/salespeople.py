"""The diverting salesperson's own fine at confirmation (SPEC §2.2), recorded on the violation
with its rule and policy version. Like a sub-customer's, it stays off the credited-sales ledger:
the company settles it with its own employee."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.models import Salesperson, Violation
from app.violations.fines import own_fine
from rules.policy import Policy
from rules.salespeople import salesperson_fine


def record_fine(session: Session, v: Violation, *, policy: Policy) -> None:
    """Record the fine, or 0.00 with why (no agreement on file: only the record)."""
    if v.diverting_salesperson_id is None:
        return
    sp = session.get_one(Salesperson, v.diverting_salesperson_id)
    v.salesperson_fine_fen, v.salesperson_fine_reason = own_fine(
        salesperson_fine, v, agreement_signed_at=sp.agreement_signed_at, policy=policy
    )
