"""Posting a confirmed case's fine: the fine itself, then as much of it as the policy takes
from the fined distributor's deposit. Diversion and price cases post under the same causes,
keyed by violation id, so the lifecycle's reversal undoes either unchanged."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.ledger import money
from app.ledger import service as ledger
from app.ledger.service import FINES_INCOME, LegIn
from app.models import AccountKind, PartyType, Violation, ViolationStatus
from rules.agreements import OwnFineRule
from rules.money import fine_from_deposit
from rules.policy import Policy


def decided(reason: str, rule: str, policy_version: str | None = None) -> str:
    """A decision as the case records it: why, then the rule (and the policy version) that
    decided, so that anyone reading the case can look the rule up."""
    by = f"{rule}, policy {policy_version}" if policy_version else rule
    return f"{reason} ({by})"[:300]


def own_fine(
    rule: OwnFineRule, v: Violation, *, agreement_signed_at: datetime | None, policy: Policy
) -> tuple[int, str]:
    """A party's own fine for this case under its own agreement (`rules.agreements`): the
    amount and why, as the case records them. Kept off the credited-sales ledger."""
    d = rule(
        cartons=max(v.cartons, 1),
        agreement_signed_at=agreement_signed_at,
        violated_at=v.detected_at,
        advisory=v.advisory,
        policy=policy,
    )
    return d.amount_fen, decided(d.reason, d.rule, d.policy_version)


class Fine(Protocol):
    """What a fine rule decided (`rules.penalties.FineDecision`, `rules.prices.PriceFine`)."""

    @property
    def amount_fen(self) -> int: ...
    @property
    def rule(self) -> str: ...
    @property
    def policy_version(self) -> str: ...
    @property
    def reason(self) -> str: ...


def prior_confirmed(session: Session, v: Violation, policy: Policy) -> int:
    """Confirmed cases of the same kind against the same distributor in the look-back window
    before this one: what makes an offence a repeat one."""
    since = v.detected_at - timedelta(days=policy.fines.lookback_days)
    return (
        session.scalar(
            select(func.count()).where(
                Violation.diverting_distributor_id == v.diverting_distributor_id,
                Violation.kind == v.kind,
                Violation.status == ViolationStatus.CONFIRMED,
                Violation.id != v.id,
                Violation.detected_at >= since,
                Violation.detected_at <= v.detected_at,
            )
        )
        or 0
    )


FINE = "violation_fine"
FINE_FROM_DEPOSIT = "fine_from_deposit"


def post_fine(
    session: Session,
    v: Violation,
    *,
    distributor_code: str,
    fine: Fine,
    label: str,
    policy: Policy,
    actor: str,
) -> None:
    """Post `fine` against the distributor and take what the policy allows from its deposit;
    `label` names the case in the ledger's memos ("violation 12", "price case 12")."""
    if fine.amount_fen <= 0:
        return
    taken = charge_distributor(
        session,
        v,
        causes=(FINE, FINE_FROM_DEPOSIT),
        code=distributor_code,
        amount_fen=fine.amount_fen,
        role="fined_distributor",
        rule=fine.rule,
        policy=policy,
        memo=f"{label}: {fine.reason}",
        deposit_memo=f"{label}: fine",
        actor=actor,
    )
    v.fine_reason = f"{v.fine_reason}; {taken}"[:300]


def charge_distributor(
    session: Session,
    v: Violation,
    *,
    causes: tuple[str, str],
    code: str,
    amount_fen: int,
    role: str,
    rule: str,
    policy: Policy,
    memo: str,
    deposit_memo: str,
    actor: str,
) -> str:
    """Post what a distributor owes for a case (a fine, a sanction's penalty) under the first
    cause, then pay as much of it from its deposit as the policy says under the second; the
    answer is why so much was taken. Both causes are keyed by the case, so each posts once."""
    owed, from_deposit = causes
    ledger.post_entry(
        session,
        cause_type=owed,
        cause_key=str(v.id),
        legs=[
            LegIn(PartyType.DISTRIBUTOR, code, AccountKind.fines, -amount_fen, role),
            LegIn(PartyType.SYSTEM, FINES_INCOME, AccountKind.system, amount_fen, "fines_income"),
        ],
        rule=rule,
        policy_version=policy.version,
        memo=memo,
        actor=actor,
    )
    split = fine_from_deposit(
        fine_fen=amount_fen, deposit_fen=money.deposit_fen(session, code), policy=policy
    )
    money.take_from_deposit(
        session,
        cause_type=from_deposit,
        cause_key=str(v.id),
        code=code,
        amount_fen=split.from_deposit_fen,
        rule=split.rule,
        policy_version=policy.version,
        memo=f"{deposit_memo}: {split.reason}"[:300],
        actor=actor,
    )
    return split.reason
