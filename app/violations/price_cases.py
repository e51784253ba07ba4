"""Price disorder (乱价) as cases (SPEC §2.16): what confirming one costs. Scan judging
(`app.scans.judge`) drafts them with `rules.prices`; this module gathers the facts and posts.
A price case posts under the same ledger causes as a diversion's fine, so the lifecycle's
reversal undoes it unchanged."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.models import (
    Distributor,
    SubCustomer,
    Violation,
)
from app.violations.fines import decided, own_fine, post_fine, prior_confirmed
from rules.policy import Policy
from rules.prices import price_fine, sub_customer_price_fine


def post_confirmation(session: Session, v: Violation, *, policy: Policy, actor: str) -> None:
    """A confirmed price case moves no credited sales: it fines the seller's distributor (from
    its deposit, as the policy says) and records the selling sub-customer's own fine."""
    seller = session.get_one(Distributor, v.diverting_distributor_id)
    fine = price_fine(
        cartons=max(v.cartons, 1),
        prior_confirmed_in_lookback=prior_confirmed(session, v, policy),
        agreement_signed_at=seller.agreement_signed_at,
        violated_at=v.detected_at,
        advisory=v.advisory,
        policy=policy,
    )
    v.fine_fen = fine.amount_fen
    v.fine_reason = decided(fine.reason, fine.rule, fine.policy_version)
    if v.diverting_sub_customer_id is not None:
        sc = session.get_one(SubCustomer, v.diverting_sub_customer_id)
        v.sub_customer_fine_fen, v.sub_customer_fine_reason = own_fine(
            sub_customer_price_fine, v, agreement_signed_at=sc.agreement_signed_at, policy=policy
        )
    post_fine(
        session,
        v,
        distributor_code=seller.code,
        fine=fine,
        label=f"price case {v.id}",
        policy=policy,
        actor=actor,
    )
    session.flush()
