"""Diversion flows for the map: one row per (from region, to region), summed in the database."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, case, func, select, true
from sqlalchemy.orm import Session, aliased

from app.common.types import from_fen
from app.ledger.service import period_bounds
from app.maps.schemas import Flow, FlowMap, Sightings
from app.models import (
    ConsumerSignal,
    CustodyEvent,
    CustodyKind,
    CustodyParty,
    PublicVerification,
    Region,
    SubCustomer,
    Violation,
    ViolationStatus,
    distributor_region,
)

COUNTED = (ViolationStatus.OPEN, ViolationStatus.APPEALED, ViolationStatus.CONFIRMED)


def _in_period(column: Any, period: str | None) -> ColumnElement[bool]:
    if period is None:
        return true()
    start, end = period_bounds(period)
    within: ColumnElement[bool] = (column >= start) & (column < end)
    return within


def _home_region() -> ColumnElement[int]:
    """A distributor's home region: the lowest-coded region it holds (the map needs one)."""
    return (
        select(func.min(distributor_region.c.region_id))
        .where(distributor_region.c.distributor_id == Violation.diverting_distributor_id)
        .scalar_subquery()
    )


def diversion_flows(session: Session, *, period: str | None) -> list[Flow]:
    home = _home_region().label("home")
    inner = (
        select(home, Violation.region_id, Violation.cartons, Violation.value_fen)
        .where(Violation.status.in_(COUNTED))
        .where(Violation.diverting_distributor_id.is_not(None))
        .where(_in_period(Violation.detected_at, period))
        .subquery()
    )
    src, dst = aliased(Region), aliased(Region)
    rows = session.execute(
        select(
            src.code,
            dst.code,
            func.count(),
            func.coalesce(func.sum(inner.c.cartons), 0),
            func.coalesce(func.sum(inner.c.value_fen), 0),
        )
        .select_from(inner)
        .join(src, src.id == inner.c.home)
        .join(dst, dst.id == inner.c.region_id)
        .where(src.id != dst.id)
        .group_by(src.code, dst.code)
        .order_by(func.sum(inner.c.value_fen).desc(), src.code, dst.code)
    ).all()
    return [
        Flow(from_region_code=a, to_region_code=b, count=n, cartons=int(c), value=from_fen(int(v)))
        for a, b, n, c, v in rows
    ]


def _party_region(kind: Any, pid: Any) -> ColumnElement[int]:
    """The region of a custody party: a sub-customer's own, a distributor's lowest-coded."""
    dist = (
        select(func.min(distributor_region.c.region_id))
        .where(distributor_region.c.distributor_id == pid)
        .scalar_subquery()
    )
    sub = select(SubCustomer.region_id).where(SubCustomer.id == pid).scalar_subquery()
    return case(
        (kind == CustodyParty.SUB_CUSTOMER, sub),
        (kind == CustodyParty.DISTRIBUTOR, dist),
    )


def hand_off_flows(session: Session, *, period: str | None) -> list[Flow]:
    inner = (
        select(
            _party_region(CustodyEvent.from_type, CustodyEvent.from_id).label("src"),
            _party_region(CustodyEvent.to_type, CustodyEvent.to_id).label("dst"),
        )
        .where(CustodyEvent.kind == CustodyKind.SHIP)
        .where(_in_period(CustodyEvent.at, period))
        .subquery()
    )
    src, dst = aliased(Region), aliased(Region)
    rows = session.execute(
        select(src.code, dst.code, func.count())
        .select_from(inner)
        .join(src, src.id == inner.c.src)
        .join(dst, dst.id == inner.c.dst)
        .where(src.id != dst.id)
        .group_by(src.code, dst.code)
        .order_by(func.count().desc(), src.code, dst.code)
    ).all()
    return [
        Flow(from_region_code=a, to_region_code=b, count=n, cartons=n, value=from_fen(0))
        for a, b, n in rows
    ]


def _per_place_region(
    session: Session, model: type[PublicVerification] | type[ConsumerSignal], period: str | None
) -> dict[str, int]:
    """How many public verifications (or the signals they raised) each region saw in the period,
    by the region of the visitor's place."""
    return dict(
        session.execute(
            select(Region.code, func.count())
            .join(model, model.place_region_id == Region.id)
            .where(_in_period(model.at, period))
            .group_by(Region.code)
        )
        .tuples()
        .all()
    )


def sightings(session: Session, *, period: str | None) -> list[Sightings]:
    seen = _per_place_region(session, PublicVerification, period)
    flagged = _per_place_region(session, ConsumerSignal, period)
    return [
        Sightings(region_code=code, verifications=seen.get(code, 0), signals=flagged.get(code, 0))
        for code in sorted(seen.keys() | flagged.keys())
    ]


def flow_map(session: Session, *, period: str | None) -> FlowMap:
    """Everything the map draws for a month (or all time when `period` is None)."""
    return FlowMap(
        period=period,
        diversions=diversion_flows(session, period=period),
        hand_offs=hand_off_flows(session, period=period),
        sightings=sightings(session, period=period),
    )
