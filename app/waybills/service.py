"""Controlled waybills (控制运货单): issue and notify the route.

Delivering into a territory lives in `delivery`, reading them back in `reads`; both are
re-exported here."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.codes.service import resolve_cartons
from app.common.lookup import invalid, ref
from app.config import Settings
from app.errors import Conflict
from app.models import (
    Carton,
    Distributor,
    Notification,
    Pallet,
    Region,
    Role,
    Salesperson,
    User,
    Waybill,
    WaybillCarton,
    WaybillStop,
    distributor_region,
)
from app.regions.tree import region_tree, territories
from app.vehicles.service import vehicle_for_waybill
from app.violations import sanctions
from app.waybills.delivery import deliver_waybill as deliver_waybill
from app.waybills.reads import by_code_number as by_code_number
from app.waybills.reads import get_waybill as get_waybill
from app.waybills.reads import list_notifications as list_notifications
from app.waybills.reads import list_waybills as list_waybills
from app.waybills.reads import mark_read as mark_read
from app.waybills.reads import printable_pdf as printable_pdf
from app.waybills.reads import to_out as to_out
from app.waybills.schemas import (
    WaybillCheckOut,
    WaybillIn,
    WaybillOut,
    WaybillWarning,
)
from app.waybills.webhooks import queue_call
from rules.waybills import check_coded_region


def _pallet_cartons(session: Session, ssccs: Sequence[str]) -> list[tuple[str, Carton]]:
    cartons: list[tuple[str, Carton]] = []
    for sscc in ssccs:
        pallet = session.scalar(select(Pallet).where(Pallet.sscc == sscc.strip()))
        if pallet is None:
            raise invalid("pallet_ssccs", f"unknown pallet {sscc!r}")
        cartons.extend(
            (sscc, c) for c in session.scalars(select(Carton).where(Carton.pallet_id == pallet.id))
        )
    return cartons


def create_waybill(
    session: Session, *, data: WaybillIn, settings: Settings, actor: str
) -> WaybillOut:
    """Issue a waybill for the cartons on board and tell everyone along the route."""
    if session.scalar(select(Waybill.id).where(Waybill.number == data.number)) is not None:
        raise Conflict(f"waybill {data.number!r} already exists")
    dest = _destination(session, data)
    sanctions.check_supply(session, dest)  # 断货: a stopped distributor gets nothing new
    vehicle = vehicle_for_waybill(session, plate=data.vehicle_plate, dest=dest, settings=settings)
    sp = ref(
        session, Salesperson, data.salesperson_code, field="salesperson_code", what="salesperson"
    )
    route = _route(session, data)
    listed = _listed_cartons(session, data, settings)
    cartons = [c for _payload, c in listed]
    warnings = _territory_warnings(session, listed, dest)
    busy = _on_active_waybill(session, [c.id for c in cartons])
    if busy:
        raise Conflict(f"already on an active waybill: {', '.join(busy[:10])}")
    waybill = Waybill(
        number=data.number,
        vehicle_plate=data.vehicle_plate,
        vehicle_id=vehicle.id if vehicle else None,
        driver=data.driver,
        dispatched_at=data.dispatched_at,
        expected_arrival=data.expected_arrival,
        destination_distributor_id=dest.id,
        salesperson_id=sp.id,
        issuer=data.issuer,
        created_by=actor,
    )
    session.add(waybill)
    session.flush()
    session.add_all(
        WaybillStop(waybill_id=waybill.id, seq=i, region_id=r.id) for i, r in enumerate(route)
    )
    session.add_all(
        WaybillCarton(waybill_id=waybill.id, carton_id=c.id, active=True) for c in cartons
    )
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:  # a concurrent waybill took one of these cartons first
        raise Conflict("a carton was put on another active waybill at the same time") from exc
    notified = _notify_route(session, waybill=waybill, route=route, dest=dest)
    audit.change(
        session,
        actor,
        "waybill.issued",
        data.number,
        {
            **data.model_dump(mode="json", exclude={"carton_payloads"}),
            "carton_serials": sorted(c.serial for c in cartons),
            "warnings": [w.model_dump(mode="json", exclude={"payload"}) for w in warnings],
        },
    )
    out = to_out(session, waybill)
    out.carton_serials = sorted(c.serial for c in cartons)
    out.notified_users = notified
    out.warnings = warnings
    return out


def _destination(session: Session, data: WaybillIn) -> Distributor:
    return ref(
        session,
        Distributor,
        data.destination_distributor_code,
        field="destination_distributor_code",
        what="distributor",
    )


def _route(session: Session, data: WaybillIn) -> list[Region]:
    """The regions the waybill passes through, in order (422 for an unknown one)."""
    return [
        ref(session, Region, c, field="route_region_codes", what="region")
        for c in data.route_region_codes
    ]


def check_waybill(session: Session, *, data: WaybillIn, settings: Settings) -> WaybillCheckOut:
    """A dry run of issuing: the same references and cartons are checked (422 / 404 alike), and
    the answer lists the cartons coded outside the destination's territory. Nothing is written."""
    dest = _destination(session, data)
    ref(session, Salesperson, data.salesperson_code, field="salesperson_code", what="salesperson")
    vehicle_for_waybill(session, plate=data.vehicle_plate, dest=dest, settings=settings)
    _route(session, data)
    return WaybillCheckOut(
        warnings=_territory_warnings(session, _listed_cartons(session, data, settings), dest)
    )


def _listed_cartons(
    session: Session, data: WaybillIn, settings: Settings
) -> list[tuple[str, Carton]]:
    """Each carton on board with the item that listed it (its payload, or its pallet's SSCC)."""
    listed = list(
        zip(
            data.carton_payloads,
            resolve_cartons(
                session, data.carton_payloads, settings=settings, field="carton_payloads"
            )
            if data.carton_payloads
            else [],
            strict=True,
        )
    )
    seen = {c.id for _p, c in listed}
    for sscc, c in _pallet_cartons(session, data.pallet_ssccs):
        if c.id not in seen:
            listed.append((sscc, c))
            seen.add(c.id)
    return listed


def _territory_warnings(
    session: Session, listed: list[tuple[str, Carton]], dest: Distributor
) -> list[WaybillWarning]:
    tree = region_tree(session)
    territory = territories(session, tree, {dest.id})[dest.id]
    held = sorted(territory)
    warnings: list[WaybillWarning] = []
    for payload, c in listed:
        check = check_coded_region(
            coded_region_path=tree.path_codes(c.region_id), destination_territory=territory
        )
        if check.warn:
            warnings.append(
                WaybillWarning(
                    payload=payload,
                    serial=c.serial,
                    reason=check.rule,
                    carton_region_code=tree.nodes[c.region_id].code,
                    destination_territory=held,
                    detail=check.detail,
                )
            )
    return warnings


def _on_active_waybill(session: Session, carton_ids: list[int]) -> list[str]:
    busy: list[str] = []
    for start in range(0, len(carton_ids), 5000):
        busy.extend(
            session.scalars(
                select(Carton.serial)
                .join(WaybillCarton, WaybillCarton.carton_id == Carton.id)
                .where(
                    WaybillCarton.active.is_(True), Carton.id.in_(carton_ids[start : start + 5000])
                )
            )
        )
    return busy


def _notify_route(
    session: Session, *, waybill: Waybill, route: list[Region], dest: Distributor
) -> int:
    """Every salesperson and distributor of a region on the route hears of the waybill (a user
    each), and distributors with a webhook get a call queued in the outbox."""
    region_ids = [r.id for r in route]
    dist_ids = set(
        session.scalars(
            select(distributor_region.c.distributor_id).where(
                distributor_region.c.region_id.in_(region_ids)
            )
        )
    )
    dist_ids.add(dest.id)
    sp_ids = set(
        session.scalars(select(Salesperson.id).where(Salesperson.region_id.in_(region_ids)))
    )
    sp_ids.add(waybill.salesperson_id)
    users = session.scalars(
        select(User)
        .where(User.disabled_at.is_(None))
        .where(
            ((User.role == Role.distributor) & User.distributor_id.in_(dist_ids))
            | ((User.role == Role.salesperson) & User.salesperson_id.in_(sp_ids))
        )
    ).all()
    body = {
        "event": "waybill.issued",
        "number": waybill.number,
        "vehicle_plate": waybill.vehicle_plate,
        "dispatched_at": waybill.dispatched_at.isoformat(),
        "expected_arrival": waybill.expected_arrival.isoformat(),
        "destination_distributor_code": dest.code,
        "route_region_codes": [r.code for r in route],
    }
    subject = (
        f"运货单 {waybill.number} ({waybill.vehicle_plate}) 途经您的区域"
        " / passes through your region"
    )
    session.add_all(
        Notification(user_id=u.id, kind="waybill.issued", subject=subject, data=body) for u in users
    )
    for d in session.scalars(select(Distributor).where(Distributor.id.in_(dist_ids))):
        queue_call(session, d, "waybill.issued", body)
    session.flush()
    return len(users)
