"""The sanctions ladder (SPEC §2.15): each confirmed diversion of a distributor with an
agreement on file climbs a step, recorded with its rule, policy version and the confirmed
violations it rests on. A supply stop holds new waybills until HQ lifts it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.common.locks import lock_key
from app.db import utcnow
from app.errors import Conflict
from app.ledger import service as ledger
from app.models import (
    Distributor,
    Sanction,
    SanctionStep,
    Violation,
    ViolationKind,
    ViolationStatus,
)
from app.violations.fines import charge_distributor
from rules.money import sanction_for
from rules.policy import Policy

PENALTY = "sanction_penalty"
PENALTY_FROM_DEPOSIT = "sanction_from_deposit"


def offences_in_window(session: Session, v: Violation, policy: Policy) -> list[int]:
    """Confirmed diversions of v's distributor within the ladder's window up to v (v included)."""
    since = v.detected_at - timedelta(days=policy.sanctions.window_days)
    return list(
        session.scalars(
            select(Violation.id)
            .where(
                Violation.diverting_distributor_id == v.diverting_distributor_id,
                Violation.kind == ViolationKind.DIVERSION,
                Violation.status == ViolationStatus.CONFIRMED,
                Violation.detected_at >= since,
                Violation.detected_at <= v.detected_at,
            )
            .order_by(Violation.detected_at, Violation.id)
        )
    )


def climb(session: Session, v: Violation, *, policy: Policy, actor: str) -> Sanction | None:
    """Record the ladder step a confirmed (and fineable) diversion takes, and apply it."""
    if v.diverting_distributor_id is None:
        return None
    rests_on = offences_in_window(session, v, policy)
    decision = sanction_for(offence_number=max(len(rests_on), 1), policy=policy)
    if decision.step is None:
        return None
    sanction = Sanction(
        distributor_id=v.diverting_distributor_id,
        violation_id=v.id,
        step=decision.step,
        offence_number=decision.offence_number,
        rests_on=rests_on,
        period=ledger.period_of(utcnow()),
        rule=decision.rule,
        policy_version=decision.policy_version,
        reason=decision.reason[:300],
        actor=actor,
    )
    session.add(sanction)
    session.flush()
    if decision.step is SanctionStep.DEPOSIT_DEDUCTION:
        _deduct(session, v, policy=policy, actor=actor)
    audit.change(
        session,
        actor,
        "sanction.decided",
        str(sanction.id),
        {
            "violation_id": v.id,
            "step": decision.step.value,
            "rests_on": rests_on,
            "rule": decision.rule,
            "policy_version": decision.policy_version,
        },
    )
    return sanction


def _deduct(session: Session, v: Violation, *, policy: Policy, actor: str) -> None:
    """The deposit-deduction step: a penalty owed, paid from the deposit as far as it goes."""
    amount = policy.sanctions.deposit_deduction_fen
    if amount <= 0:
        return
    charge_distributor(
        session,
        v,
        causes=(PENALTY, PENALTY_FROM_DEPOSIT),
        code=session.get_one(Distributor, v.diverting_distributor_id).code,
        amount_fen=amount,
        role="sanctioned",
        rule="sanction_deposit_deduction",
        policy=policy,
        memo=f"violation {v.id}: deposit deduction step of the sanctions ladder",
        deposit_memo=f"violation {v.id}: deposit deduction",
        actor=actor,
    )


def withdraw(session: Session, v: Violation, *, actor: str) -> None:
    """A reversed violation's ladder step no longer applies (a supply stop it caused ends)."""
    now = utcnow()
    for s in session.scalars(
        select(Sanction).where(Sanction.violation_id == v.id, Sanction.withdrawn_at.is_(None))
    ):
        s.withdrawn_at = now
        audit.change(
            session,
            actor,
            "sanction.withdrawn",
            str(s.id),
            {"violation_id": v.id, "step": s.step.value},
        )
    session.flush()


def of_distributor(session: Session, distributor_id: int) -> list[Sanction]:
    return list(
        session.scalars(
            select(Sanction)
            .where(Sanction.distributor_id == distributor_id)
            .order_by(Sanction.decided_at, Sanction.id)
        )
    )


def of_violation(session: Session, violation_id: int) -> list[Sanction]:
    return list(
        session.scalars(
            select(Sanction).where(Sanction.violation_id == violation_id).order_by(Sanction.id)
        )
    )


def _active_stops(session: Session, distributor_id: int) -> list[Sanction]:
    return list(
        session.scalars(
            select(Sanction)
            .where(
                Sanction.distributor_id == distributor_id,
                Sanction.step == SanctionStep.SUPPLY_STOP,
                Sanction.withdrawn_at.is_(None),
                Sanction.lifted_at.is_(None),
            )
            .order_by(Sanction.id)
        )
    )


def check_supply(session: Session, distributor: Distributor) -> None:
    """Refuse supplying a distributor whose supply is stopped (断货), with the reason."""
    stops = _active_stops(session, distributor.id)
    if stops:
        s = stops[-1]
        raise Conflict(
            f"supply to {distributor.code} is stopped (断货): {s.reason} "
            f"(sanction {s.id}, policy {s.policy_version}, violations "
            f"{', '.join(str(i) for i in s.rests_on)}); HQ must lift it first"
        )


def lift_supply_stop(session: Session, distributor: Distributor, *, actor: str) -> list[Sanction]:
    """HQ lifts a distributor's supply stop; 409 when none is in force."""
    lock_key(session, "sanction.supply_stop", distributor.code)
    stops = _active_stops(session, distributor.id)
    if not stops:
        raise Conflict(f"no supply stop is in force for {distributor.code}")
    now = utcnow()
    for s in stops:
        s.lifted_at = now
        s.lifted_by = actor
        audit.change(
            session,
            actor,
            "sanction.supply_stop_lifted",
            str(s.id),
            {"distributor": distributor.code},
        )
    session.flush()
    return of_distributor(session, distributor.id)
