"""Controlled waybills as their readers see them: one waybill, its printable PDF, the list, and the
notifications the route's distributors got."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.auth.visibility import Visibility
from app.common.lookup import count_rows
from app.common.types import Page, from_fen
from app.common.wire import wire_form
from app.config import Settings
from app.db import utcnow
from app.errors import NotFound
from app.models import (
    Carton,
    Distributor,
    Notification,
    Product,
    Region,
    Salesperson,
    Vehicle,
    Waybill,
    WaybillCarton,
    WaybillStatus,
    WaybillStop,
)
from app.waybills.printable import PrintableWaybill, qr_link, render_waybill_pdf
from app.waybills.schemas import (
    NotificationOut,
    WaybillOut,
)


def waybill_value_fen(session: Session, waybill_id: int) -> int:
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
    return wire_form(
        WaybillOut,
        w,
        destination_distributor_code=dest.code if dest else "",
        route_region_codes=list(route),
        salesperson_code=sp.code if sp else "",
        cartons=cartons,
        value=from_fen(waybill_value_fen(session, w.id)),
        # Only an issue or a read of one waybill says these.
        carton_serials=None,
        notified_users=None,
        warnings=None,
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
