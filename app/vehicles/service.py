"""The vehicle register (统一备案): HQ registers each delivery vehicle with its owner, driver
and the distributors it may deliver to; waybills are issued only for such vehicles."""

from __future__ import annotations

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.auth.visibility import Visibility
from app.common.lookup import invalid, ref
from app.common.master import page_of, patched, saved
from app.common.types import Page, PageParams
from app.common.wire import wire_form
from app.config import Settings
from app.db import utcnow
from app.errors import Conflict, NotFound
from app.models import Distributor, Vehicle, vehicle_distributor
from app.vehicles.schemas import VehicleIn, VehicleOut, VehiclePatch
from rules.transport import VehicleFacts, normalize_plate, plate_problem, vehicle_refusal

REFUSALS = {
    "vehicle_not_registered": "vehicle {plate} is not on the vehicle register (统一备案)",
    "vehicle_revoked": "vehicle {plate} was revoked from the register",
    "vehicle_not_approved_for_distributor": (
        "vehicle {plate} is not approved to deliver to distributor {dest}"
    ),
}


def _plate(text: str) -> str:
    plate = normalize_plate(text)
    problem = plate_problem(plate)
    if problem:
        raise invalid("plate", problem)
    return plate


def _distributor_ids(session: Session, codes: list[str]) -> list[int]:
    return sorted(
        {
            ref(session, Distributor, c, field="distributor_codes", what="distributor").id
            for c in codes
        }
    )


def _set_distributors(session: Session, vehicle: Vehicle, ids: list[int]) -> None:
    session.execute(
        delete(vehicle_distributor).where(vehicle_distributor.c.vehicle_id == vehicle.id)
    )
    if ids:
        session.execute(
            insert(vehicle_distributor),
            [{"vehicle_id": vehicle.id, "distributor_id": d} for d in ids],
        )


def approved_codes(session: Session, vehicle_id: int) -> list[str]:
    return list(
        session.scalars(
            select(Distributor.code)
            .join(vehicle_distributor, vehicle_distributor.c.distributor_id == Distributor.id)
            .where(vehicle_distributor.c.vehicle_id == vehicle_id)
            .order_by(Distributor.code)
        )
    )


def to_out(session: Session, v: Vehicle) -> VehicleOut:
    return wire_form(
        VehicleOut,
        v,
        distributor_codes=approved_codes(session, v.id),
        status="revoked" if v.revoked_at else "active",
    )


def create(session: Session, *, data: VehicleIn, actor: str) -> VehicleOut:
    plate = _plate(data.plate)
    ids = _distributor_ids(session, data.distributor_codes)
    if session.scalar(select(Vehicle.id).where(Vehicle.plate == plate)) is not None:
        raise Conflict(f"vehicle {plate} is already registered")
    v = Vehicle(
        plate=plate,
        owner=data.owner,
        driver_name=data.driver_name,
        driver_phone=data.driver_phone,
    )
    session.add(v)
    session.flush()
    _set_distributors(session, v, ids)
    audit.change(
        session,
        actor,
        "vehicle.registered",
        plate,
        {**data.model_dump(mode="json"), "plate": plate},
    )
    return to_out(session, v)


def by_plate(session: Session, plate: str, *, vis: Visibility | None = None) -> Vehicle:
    """The registered vehicle, or 404 (also when the caller may not see it)."""
    key = normalize_plate(plate)
    v = session.scalar(select(Vehicle).where(Vehicle.plate == key))
    if v is None or (vis is not None and not _visible(session, v, vis)):
        raise NotFound(f"vehicle {key!r} not found")
    return v


def get(session: Session, *, plate: str, vis: Visibility) -> VehicleOut:
    return to_out(session, by_plate(session, plate, vis=vis))


def _visible(session: Session, v: Vehicle, vis: Visibility) -> bool:
    if vis.everything:
        return True
    approved = set(
        session.scalars(
            select(vehicle_distributor.c.distributor_id).where(
                vehicle_distributor.c.vehicle_id == v.id
            )
        )
    )
    return bool(approved & vis.distributor_ids)


def update(session: Session, *, plate: str, data: VehiclePatch, actor: str) -> VehicleOut:
    v = by_plate(session, plate)
    changes = patched(v, data, fields=("owner", "driver_name", "driver_phone"))
    if data.distributor_codes is not None:
        _set_distributors(session, v, _distributor_ids(session, data.distributor_codes))
    v.updated_at = utcnow()
    saved(session, actor, "vehicle.updated", v.plate, changes)
    return to_out(session, v)


def revoke(session: Session, *, plate: str, reason: str, actor: str) -> VehicleOut:
    v = by_plate(session, plate)
    if v.revoked_at is not None:
        raise Conflict(f"vehicle {v.plate} is already revoked")
    v.revoked_at = utcnow()
    v.revoke_reason = reason
    saved(session, actor, "vehicle.revoked", v.plate, {"reason": reason})
    return to_out(session, v)


def list_vehicles(
    session: Session,
    *,
    vis: Visibility,
    page: PageParams,
    distributor_code: str | None,
    status: str | None,
    q: str | None,
) -> Page[VehicleOut]:
    stmt = select(Vehicle).order_by(Vehicle.plate)
    if not vis.everything:
        stmt = stmt.where(
            Vehicle.id.in_(
                select(vehicle_distributor.c.vehicle_id).where(
                    vehicle_distributor.c.distributor_id.in_(vis.distributor_ids)
                )
            )
        )
    if distributor_code:
        stmt = stmt.where(
            Vehicle.id.in_(
                select(vehicle_distributor.c.vehicle_id)
                .join(Distributor, Distributor.id == vehicle_distributor.c.distributor_id)
                .where(Distributor.code == distributor_code)
            )
        )
    if status == "active":
        stmt = stmt.where(Vehicle.revoked_at.is_(None))
    elif status == "revoked":
        stmt = stmt.where(Vehicle.revoked_at.is_not(None))
    if q:
        like = f"%{normalize_plate(q) or q}%"
        stmt = stmt.where(
            Vehicle.plate.like(like)
            | Vehicle.owner.like(f"%{q}%")
            | Vehicle.driver_name.like(f"%{q}%")
        )
    return page_of(session, stmt, page, lambda v: to_out(session, v))


def vehicle_for_waybill(
    session: Session, *, plate: str, dest: Distributor, settings: Settings
) -> Vehicle | None:
    """The registered vehicle a waybill to `dest` travels on (None for an unregistered plate
    when the register is not required), or 409 with the reason it may not."""
    key = normalize_plate(plate)
    v = session.scalar(select(Vehicle).where(Vehicle.plate == key))
    facts = (
        VehicleFacts(
            registered=True,
            active=v.revoked_at is None,
            approved_distributor_codes=frozenset(approved_codes(session, v.id)),
        )
        if v is not None
        else VehicleFacts(registered=False)
    )
    reason = vehicle_refusal(
        facts,
        destination_code=dest.code,
        registration_required=settings.vehicle_registration == "required",
    )
    if reason is not None:
        raise Conflict(
            {
                "reason": reason,
                "msg": REFUSALS[reason].format(plate=key, dest=dest.code),
                "vehicle_plate": key,
                "destination_distributor_code": dest.code,
            }
        )
    return v
