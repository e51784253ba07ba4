"""Reading violations: the list and one case as the caller may see them, with the evidence
scans, the postings and the sanctions it led to."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, String, and_, cast, or_, select
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.auth.visibility import Visibility, ledger_parties, violation_filter
from app.common.lookup import count_rows
from app.common.types import from_fen
from app.common.wire import wire_form
from app.errors import NotFound
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
from app.users.service import names_by_username
from app.violations import penalties, sanctions
from app.violations.schemas import (
    EvidenceScanOut,
    SanctionOut,
    ViolationDetail,
    ViolationEventOut,
    ViolationOut,
)
from rules.policy import load_policy


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


def visible_violation(session: Session, violation_id: int, vis: Visibility) -> Violation:
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
        wire_form(
            EvidenceScanOut,
            s,
            findings=list(s.findings or []),
            checkpoint_code=checkpoint,
            region_code=region,
            observed_price=None if s.observed_price_fen is None else from_fen(s.observed_price_fen),
        )
        for s, checkpoint, region in rows
    ]


def sanction_rows(session: Session, rows: list[Sanction]) -> list[SanctionOut]:
    """Sanctions on the wire, each naming its distributor."""
    codes = _codes(session, Distributor, [s.distributor_id for s in rows])
    return [
        wire_form(
            SanctionOut,
            s,
            distributor_code=codes[s.distributor_id],
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
    ).all()
    (row,) = _to_out(session, [v], vis)
    return ViolationDetail(
        **row.model_dump(),
        sanctions=sanction_rows(session, sanctions.of_violation(session, v.id))
        if row.fine is not None
        else [],
        events=_events(session, events),
        evidence=_evidence(session, v),
        postings=ledger.postings(
            session,
            causes=penalties.causes(v.id),
            parties=ledger_parties(session, principal),
        ),
    )


def _events(session: Session, events: Sequence[ViolationEvent]) -> list[ViolationEventOut]:
    """A case's history, each step naming who took it as the pages call them."""
    names = names_by_username(session, (e.actor for e in events))
    return [
        ViolationEventOut.model_validate(e, from_attributes=True).model_copy(
            update={"actor_name": names.get(e.actor)}
        )
        for e in events
    ]


def get_violation(
    session: Session, *, violation_id: int, vis: Visibility, principal: Principal
) -> ViolationDetail:
    """One violation the caller may see, or 404."""
    return detail(
        session, visible_violation(session, violation_id, vis), vis=vis, principal=principal
    )
