from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from app.auth.deps import Anyone, Staff
from app.auth.principal import Principal
from app.auth.visibility import Visibility, visibility
from app.common.master import PageQuery
from app.common.register_routes import register_route
from app.common.types import Page
from app.db import DbSession
from app.models import Role
from app.vehicles import service
from app.vehicles.schemas import VehicleOut, VehicleRevoke

router = APIRouter(prefix="/vehicles", tags=["transport"])


def _vis(session: DbSession, who: Principal) -> Visibility:
    if who.role is Role.inspector:
        return Visibility(everything=True)  # inspectors check trucks against the register
    return visibility(session, who)


register_route(
    router,
    "POST",
    "register_vehicle",
    service.create,
    who=Staff,
    doc="Put a delivery vehicle on the register (统一备案); a bad plate is 422, a known one 409.",
)
register_route(router, "GET", "get_vehicle", service.get, key="plate", sees=_vis)
register_route(router, "PATCH", "update_vehicle", service.update, key="plate", who=Staff)


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


@router.post("/{plate}/revoke")
def revoke_vehicle(plate: str, body: VehicleRevoke, session: DbSession, who: Staff) -> VehicleOut:
    """Take a vehicle off duty: no new waybill may use it. Revoking twice is 409."""
    return service.revoke(session, plate=plate, reason=body.reason, actor=who.username)
