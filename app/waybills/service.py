"""Controlled waybills (控制运货单): issue, notify the route, deliver into a territory."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.auth.visibility import Visibility
from app.codes.service import resolve_cartons
from app.common.locks import lock_cartons
from app.common.lookup import count_rows, invalid, ref
from app.common.types import Page, from_fen
from app.config import Settings
from app.db import table_of, utcnow
from app.errors import Conflict, NotFound
from app.ledger import service as ledger
from app.models import (
    Carton,
    CustodyEvent,
    CustodyKind,
    CustodyParty,
    Distributor,
    Notification,
    Pallet,
    Product,
    Region,
    Role,
    Salesperson,
    User,
    Vehicle,
    Waybill,
    WaybillCarton,
    WaybillStatus,
    WaybillStop,
    WebhookDelivery,
    distributor_region,
)
from app.regions.tree import region_tree, territories
from app.vehicles.service import vehicle_for_waybill
from app.violations import sanctions
from app.waybills.printable import PrintableWaybill, qr_link, render_waybill_pdf
from app.waybills.schemas import (
    NotificationOut,
    WaybillCheckOut,
    WaybillIn,
    WaybillOut,
    WaybillWarning,
)
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
    dest = ref(
        session,
        Distributor,
        data.destination_distributor_code,
        field="destination_distributor_code",
        what="distributor",
    )
    sanctions.check_supply(session, dest)  # 断货: a stopped distributor gets nothing new
    vehicle = vehicle_for_waybill(session, plate=data.vehicle_plate, dest=dest, settings=settings)
    sp = ref(
        session, Salesperson, data.salesperson_code, field="salesperson_code", what="salesperson"
    )
    route = [
        ref(session, Region, c, field="route_region_codes", what="region")
        for c in data.route_region_codes
    ]
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
    audit.record(
        session,
        actor=actor,
        action="waybill.issued",
        entity_type="waybill",
        entity_key=data.number,
        data={
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


def check_waybill(session: Session, *, data: WaybillIn, settings: Settings) -> WaybillCheckOut:
    """A dry run of issuing: the same references and cartons are checked (422 / 404 alike), and
    the answer lists the cartons coded outside the destination's territory. Nothing is written."""
    dest = ref(
        session,
        Distributor,
        data.destination_distributor_code,
        field="destination_distributor_code",
        what="distributor",
    )
    ref(session, Salesperson, data.salesperson_code, field="salesperson_code", what="salesperson")
    vehicle_for_waybill(session, plate=data.vehicle_plate, dest=dest, settings=settings)
    for c in data.route_region_codes:
        ref(session, Region, c, field="route_region_codes", what="region")
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
        if d.webhook_url:
            session.add(
                WebhookDelivery(
                    distributor_id=d.id,
                    url=d.webhook_url,
                    event="waybill.issued",
                    body=json.dumps(body, ensure_ascii=False),
                )
            )
    session.flush()
    return len(users)


def deliver_waybill(
    session: Session, *, number: str, actor: str, at: datetime | None = None
) -> WaybillOut:
    """Hand the cartons to the destination distributor's territory and credit the sale.

    `at` is when the truck arrived, if that was earlier than now (loading past business)."""
    delivered_at = at or utcnow()
    waybill = by_code_number(session, number)
    done = session.execute(
        update(Waybill)
        .where(Waybill.id == waybill.id, Waybill.status == WaybillStatus.active)
        .values(status=WaybillStatus.delivered, delivered_at=delivered_at)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(f"waybill {number!r} is {waybill.status.value}, not active")
    session.refresh(waybill)
    carton_ids = list(
        session.scalars(
            select(WaybillCarton.carton_id)
            .where(WaybillCarton.waybill_id == waybill.id)
            .order_by(WaybillCarton.carton_id)
        )
    )
    lock_cartons(session, carton_ids)  # in id order, as every writer of cartons locks them
    now = utcnow()
    for start in range(0, len(carton_ids), 5000):
        chunk = carton_ids[start : start + 5000]
        # The destination distributor becomes the first custodian of record.
        session.execute(
            update(Carton)
            .where(Carton.id.in_(chunk))
            .values(
                distributor_id=waybill.destination_distributor_id,
                delivered_at=delivered_at,
                custodian_type=CustodyParty.DISTRIBUTOR.value,
                custodian_id=waybill.destination_distributor_id,
                pending_to_type=None,
                pending_to_id=None,
            )
        )
        session.execute(
            insert(table_of(CustodyEvent)),
            [
                {
                    "carton_id": cid,
                    "kind": CustodyKind.DELIVER,
                    "from_type": None,
                    "from_id": None,
                    "to_type": CustodyParty.DISTRIBUTOR,
                    "to_id": waybill.destination_distributor_id,
                    "at": delivered_at,
                    "user_id": None,
                    "ref": number,
                    "outcome": "accepted",
                    "created_at": now,
                }
                for cid in chunk
            ],
        )
    session.execute(
        update(WaybillCarton).where(WaybillCarton.waybill_id == waybill.id).values(active=False)
    )
    value_fen = _value_fen(session, waybill.id)
    dest = session.get(Distributor, waybill.destination_distributor_id)
    sp = session.get(Salesperson, dest.salesperson_id) if dest else None
    if dest is None or sp is None:  # foreign keys make this unreachable
        raise NotFound(f"waybill {number!r} has no destination distributor")
    ledger.post_delivery(
        session,
        waybill_number=number,
        distributor_code=dest.code,
        salesperson_code=sp.code,
        value_fen=value_fen,
        cartons=len(carton_ids),
        actor=actor,
    )
    audit.record(
        session,
        actor=actor,
        action="waybill.delivered",
        entity_type="waybill",
        entity_key=number,
        data={"cartons": len(carton_ids), "value_fen": value_fen, "distributor": dest.code},
    )
    return to_out(session, waybill)


def _value_fen(session: Session, waybill_id: int) -> int:
    total = session.scalar(
        select(func.coalesce(func.sum(Product.carton_value_fen), 0))
        .select_from(WaybillCarton)
        .join(Carton, Carton.id == WaybillCarton.carton_id)
        .join(Product, Product.id == Carton.product_id)
        .where(WaybillCarton.waybill_id == waybill_id)
    )
    return int(total or 0)


def by_code_number(session: Session, number: str) -> Waybill:
    waybill = session.scalar(select(Waybill).where(Waybill.number == number))
    if waybill is None:
        raise NotFound(f"waybill {number!r} not found")
    return waybill


def to_out(session: Session, w: Waybill) -> WaybillOut:
    route = session.scalars(
        select(Region.code)
        .join(WaybillStop, WaybillStop.region_id == Region.id)
        .where(WaybillStop.waybill_id == w.id)
        .order_by(WaybillStop.seq)
    ).all()
    cartons = (
        session.scalar(
            select(func.count()).select_from(WaybillCarton).where(WaybillCarton.waybill_id == w.id)
        )
        or 0
    )
    dest = session.get(Distributor, w.destination_distributor_id)
    sp = session.get(Salesperson, w.salesperson_id)
    return WaybillOut(
        number=w.number,
        vehicle_plate=w.vehicle_plate,
        driver=w.driver,
        dispatched_at=w.dispatched_at,
        expected_arrival=w.expected_arrival,
        destination_distributor_code=dest.code if dest else "",
        route_region_codes=list(route),
        issuer=w.issuer,
        salesperson_code=sp.code if sp else "",
        status=w.status.value,
        delivered_at=w.delivered_at,
        cartons=cartons,
        value=from_fen(_value_fen(session, w.id)),
    )


def get_waybill(session: Session, *, number: str, vis: Visibility) -> WaybillOut:
    w = by_code_number(session, number)
    if not (vis.distributor(w.destination_distributor_id) or vis.salesperson(w.salesperson_id)):
        raise NotFound(f"waybill {number!r} not found")
    out = to_out(session, w)
    out.carton_serials = list(
        session.scalars(
            select(Carton.serial)
            .join(WaybillCarton, WaybillCarton.carton_id == Carton.id)
            .where(WaybillCarton.waybill_id == w.id)
            .order_by(Carton.serial)
        )
    )
    return out


def printable_pdf(session: Session, *, number: str, vis: Visibility, settings: Settings) -> bytes:
    """The printed waybill (控制运货单) for the driver; seen by whoever sees the waybill."""
    w = by_code_number(session, number)
    if not (vis.distributor(w.destination_distributor_id) or vis.salesperson(w.salesperson_id)):
        raise NotFound(f"waybill {number!r} not found")
    out = get_waybill(session, number=number, vis=vis)
    dest = session.get(Distributor, w.destination_distributor_id)
    sp = session.get(Salesperson, w.salesperson_id)
    vehicle = session.get(Vehicle, w.vehicle_id) if w.vehicle_id else None
    names = dict(session.execute(select(Region.code, Region.name)).tuples().all())
    return render_waybill_pdf(
        PrintableWaybill(
            number=w.number,
            status=w.status.value,
            company=settings.company_name,
            dispatched_at=w.dispatched_at,
            expected_arrival=w.expected_arrival,
            destination=f"{dest.name}（{dest.code}）" if dest else "",
            route=[names.get(c, c) for c in out.route_region_codes],
            issuer=w.issuer,
            salesperson=f"{sp.name}（{sp.code}）" if sp else "",
            plate=w.vehicle_plate,
            vehicle_owner=vehicle.owner if vehicle else None,
            driver=vehicle.driver_name if vehicle else w.driver,
            driver_phone=vehicle.driver_phone if vehicle else None,
            registered=vehicle is not None,
            cartons=out.cartons,
            value=f"{out.value:.2f}",
            serials=out.carton_serials or [],
            qr=qr_link(settings.public_base_url, settings.signing, w.number),
            tz=settings.tz,
        )
    )


def list_waybills(
    session: Session, *, vis: Visibility, limit: int, offset: int, status: WaybillStatus | None
) -> tuple[list[WaybillOut], int]:
    stmt = select(Waybill).order_by(Waybill.dispatched_at.desc(), Waybill.id.desc())
    if not vis.everything:
        stmt = stmt.where(
            Waybill.destination_distributor_id.in_(vis.distributor_ids)
            | Waybill.salesperson_id.in_(vis.salesperson_ids)
        )
    if status is not None:
        stmt = stmt.where(Waybill.status == status)
    total = count_rows(session, stmt)
    return [to_out(session, w) for w in session.scalars(stmt.limit(limit).offset(offset))], total


def list_notifications(
    session: Session, *, user_id: int, unread_only: bool, limit: int, offset: int = 0
) -> Page[NotificationOut]:
    """The user's notifications, newest first."""
    stmt = select(Notification).where(Notification.user_id == user_id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    stmt = stmt.order_by(Notification.id.desc())
    rows = session.scalars(stmt.limit(limit).offset(offset))
    return Page(
        items=[NotificationOut.model_validate(n, from_attributes=True) for n in rows],
        total=count_rows(session, stmt),
        limit=limit,
        offset=offset,
    )


def mark_read(session: Session, *, user_id: int, notification_id: int) -> None:
    n = session.get(Notification, notification_id)
    if n is None or n.user_id != user_id:
        raise NotFound(f"notification {notification_id} not found")
    n.read_at = n.read_at or utcnow()
