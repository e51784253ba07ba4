"""The violation lifecycle: list and read, appeal, decide, reverse, auto-confirm."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, String, and_, cast, or_, select, update
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.auth.principal import Principal
from app.auth.visibility import Visibility, ledger_parties, violation_filter
from app.common.lookup import count_rows
from app.common.types import from_fen
from app.db import utcnow
from app.errors import Conflict, Forbidden, NotFound
from app.ledger import service as ledger
from app.models import (
    Carton,
    Checkpoint,
    Distributor,
    Region,
    Salesperson,
    Sanction,
    Scan,
    SubCustomer,
    Violation,
    ViolationCarton,
    ViolationEvent,
    ViolationKind,
    ViolationStatus,
)
from app.violations import penalties, sanctions
from app.violations.schemas import (
    EvidenceScanOut,
    Ruling,
    SanctionOut,
    ViolationDetail,
    ViolationEventOut,
    ViolationOut,
)
from rules.penalties import appeal_allowed, auto_confirm_due
from rules.policy import load_policy
from rules.violations import may_appeal

Status = ViolationStatus
AUTO_CONFIRM_ACTOR = "system:auto-confirm"
AUTO_CONFIRMED_KINDS = (ViolationKind.DIVERSION, ViolationKind.PRICE)
"""Cases whose facts the scan itself proves (a place, a price); a cloned code waits for HQ."""


def _codes(session: Session, model: type[Any], ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(session.execute(select(model.id, model.code).where(model.id.in_(wanted))).all())


def _serials(session: Session, violation_ids: list[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = defaultdict(list)
    rows = session.execute(
        select(ViolationCarton.violation_id, Carton.serial)
        .join(Carton, Carton.id == ViolationCarton.carton_id)
        .where(ViolationCarton.violation_id.in_(violation_ids))
        .order_by(ViolationCarton.violation_id, Carton.serial)
    )
    for vid, serial in rows:
        out[vid].append(serial)
    return out


def _to_out(session: Session, rows: list[Violation], vis: Visibility) -> list[ViolationOut]:
    """List rows, with every code looked up once per page."""
    dist = _codes(
        session,
        Distributor,
        [v.diverting_distributor_id for v in rows] + [v.invaded_distributor_id for v in rows],
    )
    sales = _codes(
        session,
        Salesperson,
        [v.diverting_salesperson_id for v in rows] + [v.invaded_salesperson_id for v in rows],
    )
    regions = _codes(session, Region, [v.region_id for v in rows])
    subs = _codes(session, SubCustomer, [v.diverting_sub_customer_id for v in rows])
    serials = _serials(session, [v.id for v in rows])
    window = timedelta(days=load_policy().violations.appeal_window_days)
    out = []
    for v in rows:
        # The fine is between the company and the diverting side; the invaded side sees none.
        fine_visible = vis.distributor(v.diverting_distributor_id) or vis.salesperson(
            v.diverting_salesperson_id
        )
        sub_fine_visible = fine_visible or vis.sub_customer(v.diverting_sub_customer_id, None)
        # The salesperson's fine is between it and the company: staff and itself only.
        sp_fine_visible = vis.everything or (
            v.diverting_salesperson_id is not None
            and v.diverting_salesperson_id in vis.salesperson_ids
        )
        if not vis.everything and vis.sub_customer_ids:
            fine_visible = False  # a sub-customer sees its own fine, not its distributor's
        out.append(
            ViolationOut(
                id=v.id,
                kind=v.kind,
                status=v.status,
                carton_serials=serials.get(v.id, []),
                cartons=v.cartons,
                diverting_distributor_code=dist.get(v.diverting_distributor_id or 0),
                diverting_salesperson_code=sales.get(v.diverting_salesperson_id or 0),
                diverting_sub_customer_code=subs.get(v.diverting_sub_customer_id or 0),
                blame_rule=v.blame_rule,
                invaded_distributor_code=dist.get(v.invaded_distributor_id or 0),
                invaded_salesperson_code=sales.get(v.invaded_salesperson_id or 0),
                region_code=regions[v.region_id],
                value=from_fen(v.value_fen),
                detected_at=v.detected_at,
                opened_at=v.created_at,
                appeal_deadline=v.created_at + window,
                policy_version=v.policy_version,
                advisory=v.advisory,
                fine=from_fen(v.fine_fen or 0) if fine_visible else None,
                fine_reason=v.fine_reason if fine_visible else None,
                sub_customer_fine=from_fen(v.sub_customer_fine_fen)
                if sub_fine_visible and v.sub_customer_fine_fen is not None
                else None,
                sub_customer_fine_reason=v.sub_customer_fine_reason if sub_fine_visible else None,
                salesperson_fine=from_fen(v.salesperson_fine_fen)
                if sp_fine_visible and v.salesperson_fine_fen is not None
                else None,
                salesperson_fine_reason=v.salesperson_fine_reason if sp_fine_visible else None,
            )
        )
    return out


def list_violations(
    session: Session,
    *,
    vis: Visibility,
    limit: int,
    offset: int,
    status: ViolationStatus | None = None,
    kind: ViolationKind | None = None,
    distributor_code: str | None = None,
    region_code: str | None = None,
) -> tuple[list[ViolationOut], int]:
    """The violations the caller may see, newest first."""
    stmt = select(Violation).where(violation_filter(vis))
    if status is not None:
        stmt = stmt.where(Violation.status == status)
    if kind is not None:
        stmt = stmt.where(Violation.kind == kind)
    if distributor_code is not None:
        d = select(Distributor.id).where(Distributor.code == distributor_code).scalar_subquery()
        stmt = stmt.where(
            or_(Violation.diverting_distributor_id == d, Violation.invaded_distributor_id == d)
        )
    if region_code is not None:
        stmt = stmt.where(
            Violation.region_id
            == select(Region.id).where(Region.code == region_code).scalar_subquery()
        )
    stmt = stmt.order_by(Violation.detected_at.desc(), Violation.id.desc())
    total = count_rows(session, stmt)
    rows = list(session.scalars(stmt.limit(limit).offset(offset)))
    return _to_out(session, rows, vis), total


def _visible(session: Session, violation_id: int, vis: Visibility) -> Violation:
    v = session.scalar(select(Violation).where(Violation.id == violation_id, violation_filter(vis)))
    if v is None:
        # Someone else's violation does not exist, as far as this caller can tell.
        raise NotFound(f"violation {violation_id} not found")
    return v


def _evidence(session: Session, v: Violation) -> list[EvidenceScanOut]:
    which: ColumnElement[bool] = Scan.violation_id == v.id
    if v.kind is ViolationKind.PRICE:
        # A scan that found the goods both diverted and underpriced names the diversion; the
        # price case's evidence is every priced scan of its cartons since it was detected.
        which = or_(
            which,
            and_(
                Scan.carton_id.in_(
                    select(ViolationCarton.carton_id).where(ViolationCarton.violation_id == v.id)
                ),
                Scan.scanned_at >= v.detected_at,
                cast(Scan.findings, String).like('%"price_violation"%'),
            ),
        )
    rows = session.execute(
        select(Scan, Checkpoint.code, Region.code)
        .outerjoin(Checkpoint, Checkpoint.id == Scan.checkpoint_id)
        .outerjoin(Region, Region.id == Scan.region_id)
        .where(which)
        .order_by(Scan.scanned_at, Scan.id)
    )
    return [
        EvidenceScanOut(
            id=s.id,
            scanned_at=s.scanned_at,
            payload=s.payload,
            serial=s.serial,
            verdict=s.verdict,
            findings=list(s.findings or []),
            checkpoint_code=checkpoint,
            region_code=region,
            lat=s.lat,
            lon=s.lon,
            observed_price=None if s.observed_price_fen is None else from_fen(s.observed_price_fen),
            photo_sha256=s.photo_sha256,
            device_id=s.device_id,
        )
        for s, checkpoint, region in rows
    ]


def sanction_rows(session: Session, rows: list[Sanction]) -> list[SanctionOut]:
    """Sanctions on the wire, each naming its distributor."""
    codes = _codes(session, Distributor, [s.distributor_id for s in rows])
    return [
        SanctionOut(
            id=s.id,
            distributor_code=codes[s.distributor_id],
            violation_id=s.violation_id,
            step=s.step,
            offence_number=s.offence_number,
            rests_on=list(s.rests_on),
            period=s.period,
            rule=s.rule,
            policy_version=s.policy_version,
            reason=s.reason,
            actor=s.actor,
            decided_at=s.decided_at,
            withdrawn_at=s.withdrawn_at,
            lifted_at=s.lifted_at,
            lifted_by=s.lifted_by,
            in_force=s.withdrawn_at is None and s.lifted_at is None,
        )
        for s in rows
    ]


def detail(
    session: Session, v: Violation, *, vis: Visibility, principal: Principal
) -> ViolationDetail:
    """A violation with its history, the scans that found it and its ledger postings."""
    events = session.scalars(
        select(ViolationEvent)
        .where(ViolationEvent.violation_id == v.id)
        .order_by(ViolationEvent.at, ViolationEvent.id)
    )
    (row,) = _to_out(session, [v], vis)
    return ViolationDetail(
        **row.model_dump(),
        sanctions=sanction_rows(session, sanctions.of_violation(session, v.id))
        if row.fine is not None
        else [],
        events=[ViolationEventOut.model_validate(e, from_attributes=True) for e in events],
        evidence=_evidence(session, v),
        postings=ledger.postings(
            session,
            causes=penalties.causes(v.id),
            parties=ledger_parties(session, principal),
        ),
    )


def get_violation(
    session: Session, *, violation_id: int, vis: Visibility, principal: Principal
) -> ViolationDetail:
    """One violation the caller may see, or 404."""
    return detail(session, _visible(session, violation_id, vis), vis=vis, principal=principal)


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
    audit.record(
        session,
        actor=actor,
        action=f"violation.{to.value}",
        entity_type="violation",
        entity_key=str(v.id),
        data={"from": before.value, "to": to.value, "note": note, **(data or {})},
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
    v = _visible(session, violation_id, vis)
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
