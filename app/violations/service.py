"""The violation lifecycle: appeal, decide, reverse, auto-confirm. Reading cases is
`app.violations.views`, importable from here as before."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.auth.principal import Principal
from app.auth.visibility import Visibility
from app.db import utcnow
from app.errors import Conflict, Forbidden, NotFound
from app.models import (
    Violation,
    ViolationCarton,
    ViolationEvent,
    ViolationKind,
    ViolationStatus,
)
from app.violations import penalties
from app.violations.schemas import (
    Ruling,
    ViolationDetail,
)
from app.violations.views import detail, visible_violation
from app.violations.views import get_violation as get_violation  # read by the case dossier
from app.violations.views import list_violations as list_violations
from app.violations.views import sanction_rows as sanction_rows
from rules.penalties import appeal_allowed, auto_confirm_due
from rules.policy import load_policy
from rules.violations import may_appeal

Status = ViolationStatus
AUTO_CONFIRM_ACTOR = "system:auto-confirm"
AUTO_CONFIRMED_KINDS = (ViolationKind.DIVERSION, ViolationKind.PRICE)
"""Cases whose facts the scan itself proves (a place, a price); a cloned code waits for HQ."""


def _locked(session: Session, violation_id: int) -> Violation:
    """The violation, row-locked until the transaction ends, with its status as committed now."""
    v = session.scalar(
        select(Violation)
        .where(Violation.id == violation_id)
        # NO KEY UPDATE: scans referencing the violation (KEY SHARE) are not blocked.
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    if v is None:
        raise NotFound(f"violation {violation_id} not found")
    return v


def _transition(
    session: Session,
    v: Violation,
    *,
    allowed: tuple[ViolationStatus, ...],
    to: ViolationStatus,
    actor: str,
    note: str | None,
    evidence: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Move a locked violation to `to`, or 409 and change nothing."""
    before = v.status
    if before not in allowed:
        raise Conflict(f"violation {v.id} is {before.value}: it cannot become {to.value}")
    v.status = to
    v.updated_at = utcnow()
    session.add(
        ViolationEvent(
            violation_id=v.id,
            from_status=before.value,
            to_status=to.value,
            actor=actor,
            note=note or None,
            evidence=evidence,
        )
    )
    session.flush()
    audit.change(
        session,
        actor,
        f"violation.{to.value}",
        str(v.id),
        {"from": before.value, "to": to.value, "note": note, **(data or {})},
    )


def _release_cartons(session: Session, violation_id: int) -> None:
    # A dismissed or reversed violation no longer counts its cartons: a later scan may.
    session.execute(
        update(ViolationCarton)
        .where(ViolationCarton.violation_id == violation_id)
        .values(active=False)
        .execution_options(synchronize_session=False)
    )


def appeal(
    session: Session,
    *,
    violation_id: int,
    principal: Principal,
    vis: Visibility,
    reason: str,
    evidence: str | None,
    now: datetime | None = None,
) -> ViolationDetail:
    """The diverting distributor contests its violation, within the policy's appeal window."""
    v = visible_violation(session, violation_id, vis)
    who = may_appeal(
        caller_distributor_id=principal.distributor_id,
        diverting_distributor_id=v.diverting_distributor_id,
    )
    if not who.allowed:
        raise Forbidden(f"only the diverting distributor may appeal a violation ({who.rule})")
    v = _locked(session, violation_id)
    policy = load_policy()
    if v.status is Status.OPEN and not appeal_allowed(
        opened_at=v.created_at, now=now or utcnow(), policy=policy
    ):
        days = policy.violations.appeal_window_days
        raise Conflict(f"the appeal window of {days} days (policy {policy.version}) has closed")
    _transition(
        session,
        v,
        allowed=(Status.OPEN,),
        to=Status.APPEALED,
        actor=principal.username,
        note=reason,
        evidence=evidence,
        data={"evidence": evidence, "policy_version": policy.version},
    )
    return detail(session, v, vis=vis, principal=principal)


def confirm(session: Session, v: Violation, *, actor: str, note: str | None) -> None:
    """Confirm a locked violation and post what its confirmation moves."""
    _transition(
        session,
        v,
        allowed=(Status.OPEN, Status.APPEALED),
        to=Status.CONFIRMED,
        actor=actor,
        note=note,
    )
    penalties.post_confirmation(session, v, actor=actor)


def decide(
    session: Session,
    *,
    violation_id: int,
    decision: Ruling,
    note: str,
    principal: Principal,
    vis: Visibility,
) -> ViolationDetail:
    """HQ confirms (posting the transfer and any fine) or dismisses an open/appealed violation."""
    v = _locked(session, violation_id)
    if decision is Ruling.confirm:
        confirm(session, v, actor=principal.username, note=note)
    else:
        _transition(
            session,
            v,
            allowed=(Status.OPEN, Status.APPEALED),
            to=Status.DISMISSED,
            actor=principal.username,
            note=note,
        )
        _release_cartons(session, v.id)
    return detail(session, v, vis=vis, principal=principal)


def reverse(
    session: Session, *, violation_id: int, note: str, principal: Principal, vis: Visibility
) -> ViolationDetail:
    """HQ undoes a confirmation: compensating entries for everything it posted."""
    v = _locked(session, violation_id)
    _transition(
        session,
        v,
        allowed=(Status.CONFIRMED,),
        to=Status.REVERSED,
        actor=principal.username,
        note=note,
    )
    penalties.post_reversal(session, v, actor=principal.username, note=note)
    _release_cartons(session, v.id)
    return detail(session, v, vis=vis, principal=principal)


def due_for_auto_confirm(
    session: Session, *, now: datetime, limit: int, after_id: int = 0
) -> list[int]:
    """Open, unappealed diversions old enough to confirm themselves under the current policy."""
    rule = load_policy().violations.auto_confirm
    if not rule.enabled:
        return []
    condition: ColumnElement[bool] = Violation.created_at <= now - timedelta(days=rule.after_days)
    return list(
        session.scalars(
            select(Violation.id)
            .where(
                Violation.status == Status.OPEN,
                # A cloned code proves nothing about who diverted: HQ always reviews it.
                Violation.kind.in_(AUTO_CONFIRMED_KINDS),
                Violation.id > after_id,
                condition,
            )
            .order_by(Violation.id)
            .limit(limit)
        )
    )


def auto_confirm_one(session: Session, *, violation_id: int, now: datetime) -> bool:
    """Confirm one violation if it is (still) due; False if someone got there first."""
    v = _locked(session, violation_id)
    policy = load_policy()
    if v.status is not Status.OPEN or v.kind not in AUTO_CONFIRMED_KINDS:
        return False
    if not auto_confirm_due(opened_at=v.created_at, appealed=False, now=now, policy=policy):
        return False
    days = policy.violations.auto_confirm.after_days
    confirm(
        session,
        v,
        actor=AUTO_CONFIRM_ACTOR,
        note=f"not appealed within {days} days: confirmed automatically (policy {policy.version})",
    )
    return True
