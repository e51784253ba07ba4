from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, status

from app.auth.deps import Anyone, Staff
from app.auth.principal import Principal
from app.auth.visibility import Visibility, visibility
from app.common.master import PageQuery
from app.common.types import Page
from app.db import DbSession
from app.models import Role
from app.vehicles import service
from app.vehicles.schemas import VehicleIn, VehicleOut, VehiclePatch, VehicleRevoke

router = APIRouter(prefix="/vehicles", tags=["transport"])


@router.post("", status_code=status.HTTP_201_CREATED)
def register_vehicle(body: VehicleIn, session: DbSession, who: Staff) -> VehicleOut:
    """Put a delivery vehicle on the register (统一备案); a bad plate is 422, a known one 409."""
    return service.create(session, data=body, actor=who.username)


@router.get("")
def list_vehicles(
    session: DbSession,
    who: Anyone,
    page: PageQuery,
    distributor_code: str | None = None,
    status: Literal["active", "revoked"] | None = None,
    q: Annotated[str | None, Query(max_length=80)] = None,
) -> Page[VehicleOut]:
    """HQ and inspectors see the whole register; a distributor (or its salesperson) the
    vehicles approved to deliver to it."""
    return service.list_vehicles(
        session,
        vis=_vis(session, who),
        page=page,
        distributor_code=distributor_code,
        status=status,
        q=q,
    )


@router.get("/{plate}")
def get_vehicle(plate: str, session: DbSession, who: Anyone) -> VehicleOut:
    return service.to_out(session, service.by_plate(session, plate, vis=_vis(session, who)))


@router.patch("/{plate}")
def update_vehicle(plate: str, body: VehiclePatch, session: DbSession, who: Staff) -> VehicleOut:
    return service.update(session, plate=plate, data=body, actor=who.username)


@router.post("/{plate}/revoke")
def revoke_vehicle(plate: str, body: VehicleRevoke, session: DbSession, who: Staff) -> VehicleOut:
    """Take a vehicle off duty: no new waybill may use it. Revoking twice is 409."""
    return service.revoke(session, plate=plate, reason=body.reason, actor=who.username)


def _vis(session: DbSession, who: Principal) -> Visibility:
    if who.role is Role.inspector:
        return Visibility(everything=True)  # inspectors check trucks against the register
    return visibility(session, who)
