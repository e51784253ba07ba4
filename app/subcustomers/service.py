"""Sub-customers (下级客户): registered under their distributor, approved by HQ, revoked by
either; what each holds now, its credit score and how fast goods reach it."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.auth.visibility import Visibility, sub_customer_filter
from app.common.lookup import by_code, invalid, ref, text_match
from app.common.master import added, page_of_batch, patched, saved
from app.common.types import Page, PageParams
from app.db import utcnow
from app.errors import Conflict, Forbidden, NotFound
from app.models import (
    Carton,
    CustodyEvent,
    CustodyKind,
    CustodyParty,
    Distributor,
    Region,
    Role,
    SubCustomer,
    SubCustomerStatus,
    Violation,
    distributor_region,
)
from app.regions.tree import region_tree
from app.subcustomers.schemas import (
    DealerOut,
    SubCustomerIn,
    SubCustomerOut,
    SubCustomerPatch,
)
from rules.credit import Breach, credit_score
from rules.policy import load_policy

Status = SubCustomerStatus


def create(session: Session, *, data: SubCustomerIn, principal: Principal) -> SubCustomerOut:
    """Admin registers an approved sub-customer; a distributor registers its own, pending until
    HQ approves it."""
    dist = ref(
        session, Distributor, data.distributor_code, field="distributor_code", what="distributor"
    )
    if principal.role is Role.distributor and principal.distributor_id != dist.id:
        raise Forbidden("a distributor registers only its own sub-customers")
    region = ref(session, Region, data.region_code, field="region_code", what="region")
    territory = set(
        session.scalars(
            select(distributor_region.c.region_id).where(
                distributor_region.c.distributor_id == dist.id
            )
        )
    )
    if not any(node.id in territory for node in region_tree(session).path(region.id)):
        raise invalid(
            "region_code",
            f"region {data.region_code!r} lies outside distributor {dist.code!r}'s territory",
        )
    taken = session.scalar(select(SubCustomer.id).where(SubCustomer.code == data.code))
    if taken is not None:
        raise Conflict(f"sub-customer {data.code!r} already exists")
    if session.scalar(select(Distributor.id).where(Distributor.code == data.code)) is not None:
        # Hand-offs name parties by code: one code, one party.
        raise Conflict(f"{data.code!r} is a distributor's code")
    now = utcnow()
    approved = principal.role is Role.admin
    sc = SubCustomer(
        code=data.code,
        name=data.name,
        tier=data.tier,
        region_id=region.id,
        distributor_id=dist.id,
        lat=data.lat,
        lon=data.lon,
        contact=data.contact,
        agreement_signed_at=data.agreement_signed_at,
        status=Status.APPROVED if approved else Status.PENDING,
        approved_at=now if approved else None,
        created_by=principal.username,
    )
    added(
        session,
        sc,
        principal.username,
        "sub_customer.created",
        data.code,
        {**data.model_dump(mode="json"), "status": sc.status.value},
    )
    return to_out(session, [sc])[0]


def update(session: Session, *, code: str, data: SubCustomerPatch, actor: str) -> SubCustomerOut:
    """HQ corrects a sub-customer's name, tier, position, contact or agreement date."""
    sc = by_code(session, SubCustomer, code, what="sub-customer")
    changes = patched(
        sc, data, fields=("name", "tier"), clearable=("contact", "agreement_signed_at")
    )
    if "lat" in changes:
        sc.lat, sc.lon = data.lat, data.lon
    saved(session, actor, "sub_customer.updated", code, changes)
    return to_out(session, [sc])[0]


def _visible(session: Session, code: str, vis: Visibility) -> SubCustomer:
    sc = session.scalar(
        select(SubCustomer).where(SubCustomer.code == code, sub_customer_filter(vis))
    )
    if sc is None:
        # Another distributor's sub-customer does not exist, as far as this caller can tell.
        raise NotFound(f"sub-customer {code!r} not found")
    return sc


def get(session: Session, *, code: str, vis: Visibility) -> SubCustomerOut:
    return to_out(session, [_visible(session, code, vis)])[0]


def visible(session: Session, *, code: str, vis: Visibility) -> SubCustomer:
    return _visible(session, code, vis)


def list_sub_customers(
    session: Session,
    *,
    vis: Visibility,
    page: PageParams,
    distributor_code: str | None = None,
    status: SubCustomerStatus | None = None,
    q: str | None = None,
) -> Page[SubCustomerOut]:
    stmt = select(SubCustomer).where(sub_customer_filter(vis))
    if distributor_code:
        stmt = stmt.where(
            SubCustomer.distributor_id
            == select(Distributor.id).where(Distributor.code == distributor_code).scalar_subquery()
        )
    if status is not None:
        stmt = stmt.where(SubCustomer.status == status)
    if q:
        stmt = stmt.where(text_match(q, SubCustomer.name, SubCustomer.code))
    stmt = stmt.order_by(SubCustomer.code)
    return page_of_batch(session, stmt, page, lambda rows: to_out(session, rows))


def approve(session: Session, *, code: str, actor: str) -> SubCustomerOut:
    sc = by_code(session, SubCustomer, code, what="sub-customer")
    if sc.status is not Status.PENDING:
        raise Conflict(f"sub-customer {code!r} is {sc.status.value}, not pending")
    sc.status = Status.APPROVED
    sc.approved_at = utcnow()
    saved(session, actor, "sub_customer.approved", code, {})
    return to_out(session, [sc])[0]


def revoke(
    session: Session, *, code: str, principal: Principal, vis: Visibility, reason: str | None
) -> SubCustomerOut:
    """HQ, or the distributor for its own, withdraws the certificate."""
    sc = _visible(session, code, vis)
    if not (principal.role is Role.admin or principal.distributor_id == sc.distributor_id):
        raise Forbidden("only HQ or the sub-customer's distributor may revoke it")
    if sc.status is Status.REVOKED:
        raise Conflict(f"sub-customer {code!r} is already revoked")
    before = sc.status
    sc.status = Status.REVOKED
    sc.revoked_at = utcnow()
    saved(
        session,
        principal.username,
        "sub_customer.revoked",
        code,
        {"from": before.value, "reason": reason},
    )
    return to_out(session, [sc])[0]


def _held(session: Session, ids: list[int]) -> dict[int, int]:
    return {
        sid: n
        for sid, n in session.execute(
            select(Carton.custodian_id, func.count())
            .where(
                Carton.custodian_type == CustodyParty.SUB_CUSTOMER.value,
                Carton.custodian_id.in_(ids),
            )
            .group_by(Carton.custodian_id)
        )
        if sid is not None
    }


def _breaches(session: Session, ids: list[int]) -> dict[int, list[Breach]]:
    out: dict[int, list[Breach]] = defaultdict(list)
    for sid, status, at, cartons in session.execute(
        select(
            Violation.diverting_sub_customer_id,
            Violation.status,
            Violation.detected_at,
            Violation.cartons,
        ).where(Violation.diverting_sub_customer_id.in_(ids))
    ):
        if sid is not None:
            out[sid].append(Breach(status=status.value, detected_at=at, cartons=cartons))
    return out


def _sell_through(session: Session, ids: list[int]) -> dict[int, float]:
    """Median hours from a shipment to each sub-customer until it scanned the carton in."""
    rows = session.execute(
        select(CustodyEvent.carton_id, CustodyEvent.to_id, CustodyEvent.kind, CustodyEvent.at)
        .where(
            CustodyEvent.to_type == CustodyParty.SUB_CUSTOMER,
            CustodyEvent.to_id.in_(ids),
            CustodyEvent.kind.in_([CustodyKind.SHIP, CustodyKind.RECEIVE]),
            CustodyEvent.outcome != "refused",
        )
        .order_by(CustodyEvent.at, CustodyEvent.id)
    ).all()
    shipped: dict[tuple[int, int], datetime] = {}
    hours: dict[int, list[float]] = defaultdict(list)
    for carton_id, sid, kind, at in rows:
        if kind is CustodyKind.SHIP:
            shipped[carton_id, sid] = at
        elif (carton_id, sid) in shipped:
            hours[sid].append((at - shipped.pop((carton_id, sid))).total_seconds() / 3600)
    return {sid: round(statistics.median(h), 2) for sid, h in hours.items()}


def to_out(session: Session, rows: Sequence[SubCustomer]) -> list[SubCustomerOut]:
    """Rows with what a distributor wants to see of each: stock held, score, sell-through."""
    if not rows:
        return []
    ids = [sc.id for sc in rows]
    regions = dict(
        session.execute(
            select(Region.id, Region.code).where(Region.id.in_({sc.region_id for sc in rows}))
        ).all()
    )
    dists = dict(
        session.execute(
            select(Distributor.id, Distributor.code).where(
                Distributor.id.in_({sc.distributor_id for sc in rows})
            )
        ).all()
    )
    held = _held(session, ids)
    breaches = _breaches(session, ids)
    sell = _sell_through(session, ids)
    policy = load_policy()
    now = utcnow()
    out = []
    for sc in rows:
        score = credit_score(breaches.get(sc.id, []), now=now, policy=policy)
        out.append(
            SubCustomerOut(
                code=sc.code,
                name=sc.name,
                tier=sc.tier,
                region_code=regions[sc.region_id],
                distributor_code=dists[sc.distributor_id],
                lat=sc.lat,
                lon=sc.lon,
                contact=sc.contact,
                agreement_signed_at=sc.agreement_signed_at,
                agreement_on_file=sc.agreement_signed_at is not None,
                status=sc.status,
                approved_at=sc.approved_at,
                revoked_at=sc.revoked_at,
                created_at=sc.created_at,
                cartons_held=held.get(sc.id, 0),
                credit_score=score.score,
                revocation_recommended=score.revocation_recommended,
                credit_policy_version=score.policy_version,
                violations=len(breaches.get(sc.id, [])),
                sell_through_hours=sell.get(sc.id),
            )
        )
    return out


def dealer(session: Session, *, code: str) -> DealerOut:
    """The public answer for a certificate's QR: authorized today or not, nothing private."""
    row = session.execute(
        select(SubCustomer, Region.name, Distributor.name)
        .join(Region, Region.id == SubCustomer.region_id)
        .join(Distributor, Distributor.id == SubCustomer.distributor_id)
        .where(SubCustomer.code == code)
    ).first()
    if row is None:
        raise NotFound(f"dealer {code!r} not found")
    sc, region_name, distributor_name = row
    return DealerOut(
        code=sc.code,
        name=sc.name,
        region_name=region_name,
        distributor_name=distributor_name,
        valid=sc.status is Status.APPROVED and sc.revoked_at is None,
    )


def is_revoked(session: Session, *, code: str) -> bool:
    return (
        session.scalar(select(SubCustomer.status).where(SubCustomer.code == code)) is Status.REVOKED
    )
