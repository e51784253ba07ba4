"""Opening a violation when a scan finds diverted (or cloned) goods, or joining the one already
open for the carton. A carton is never counted twice: the partial unique index on active
violation cartons is the final word, so two inspectors scanning the same carton at the same
instant end up on one violation."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.models import (
    Distributor,
    Salesperson,
    Tier,
    Violation,
    ViolationCarton,
    ViolationEvent,
    ViolationKind,
    distributor_region,
)
from app.regions.tree import RegionTree

TIER_RANK = {t: i for i, t in enumerate(Tier)}


def active_violation_for(session: Session, carton_ids: Sequence[int]) -> int | None:
    if not carton_ids:
        return None
    return session.scalar(
        select(ViolationCarton.violation_id)
        .where(ViolationCarton.carton_id.in_(carton_ids), ViolationCarton.active.is_(True))
        .order_by(ViolationCarton.violation_id)
        .limit(1)
    )


def invaded_parties(
    session: Session, tree: RegionTree, region_id: int
) -> tuple[int | None, int | None]:
    """The distributor holding the scanned region (nearest region on its path, leading tier
    first) and the salesperson responsible there."""
    for node in tree.path(region_id):
        holders = session.execute(
            select(Distributor.id, Distributor.tier, Distributor.code, Distributor.salesperson_id)
            .join(distributor_region, distributor_region.c.distributor_id == Distributor.id)
            .where(distributor_region.c.region_id == node.id)
        ).all()
        if holders:
            best = min(holders, key=lambda h: (TIER_RANK[h.tier], h.code))
            return best.id, best.salesperson_id
    for node in tree.path(region_id):
        sp = session.scalar(
            select(Salesperson.id)
            .where(Salesperson.region_id == node.id)
            .order_by(Salesperson.code)
            .limit(1)
        )
        if sp is not None:
            return None, sp
    return None, None


def open_or_join(
    session: Session,
    *,
    kind: ViolationKind,
    carton_ids: Sequence[int],
    diverting_distributor_id: int | None,
    value_fen: int,
    region_id: int,
    tree: RegionTree,
    detected_at: datetime,
    policy_version: str,
    advisory: bool,
) -> tuple[int, bool]:
    """The violation these cartons count on, and whether it was opened just now."""
    existing = active_violation_for(session, carton_ids)
    if existing is not None:
        return existing, False
    diverting_sp = None
    if diverting_distributor_id is not None:
        diverting_sp = session.scalar(
            select(Distributor.salesperson_id).where(Distributor.id == diverting_distributor_id)
        )
    invaded_d, invaded_sp = invaded_parties(session, tree, region_id)
    if kind is ViolationKind.cloned:
        # A copied code proves nothing about who diverted: HQ reviews it, nobody is blamed.
        diverting_distributor_id = diverting_sp = invaded_d = invaded_sp = None
    if invaded_d is not None and invaded_d == diverting_distributor_id:
        invaded_d = None
    try:
        with session.begin_nested():
            v = Violation(
                kind=kind,
                region_id=region_id,
                diverting_distributor_id=diverting_distributor_id,
                diverting_salesperson_id=diverting_sp,
                invaded_distributor_id=invaded_d,
                invaded_salesperson_id=invaded_sp,
                cartons=len(carton_ids),
                value_fen=value_fen,
                detected_at=detected_at,
                policy_version=policy_version,
                advisory=advisory,
            )
            session.add(v)
            session.flush()
            session.add_all(
                ViolationCarton(violation_id=v.id, carton_id=c, active=True) for c in carton_ids
            )
            session.flush()
    except IntegrityError:
        # Another scan counted one of these cartons in the meantime: join its violation.
        existing = active_violation_for(session, carton_ids)
        if existing is None:
            raise
        return existing, False
    session.add(
        ViolationEvent(
            violation_id=v.id,
            from_status=None,
            to_status="open",
            actor="system",
            note=f"opened by a {kind.value} scan",
        )
    )
    audit.record(
        session,
        actor="system",
        action="violation.opened",
        entity_type="violation",
        entity_key=str(v.id),
        data={
            "kind": kind.value,
            "cartons": list(carton_ids),
            "value_fen": value_fen,
            "region_id": region_id,
            "policy_version": policy_version,
        },
    )
    return v.id, True
