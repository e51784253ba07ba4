from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from app.auth.deps import Admin, Anyone, CurrentPrincipal, require
from app.auth.principal import Principal
from app.auth.visibility import visibility
from app.common.types import Id, Page, PageParams
from app.config import get_settings
from app.db import DbSession
from app.models import Role, WaybillStatus
from app.waybills import inspection, service
from app.waybills.schemas import (
    InspectionIn,
    InspectionOut,
    NotificationOut,
    WaybillCheckOut,
    WaybillIn,
    WaybillOut,
)

Inspector = Annotated[Principal, Depends(require(Role.inspector, Role.admin, Role.hq_auditor))]

router = APIRouter(tags=["waybills"])


@router.post("/waybills", status_code=status.HTTP_201_CREATED)
def create_waybill(body: WaybillIn, session: DbSession, who: Admin) -> WaybillOut:
    return service.create_waybill(session, data=body, settings=get_settings(), actor=who.username)


@router.post("/waybills/check")
def check_waybill(body: WaybillIn, session: DbSession, who: Admin) -> WaybillCheckOut:
    """Dry run before issuing: which cartons are coded outside the destination's territory."""
    return service.check_waybill(session, data=body, settings=get_settings())


@router.post("/waybills/{number}/deliver")
def deliver_waybill(number: str, session: DbSession, who: Admin) -> WaybillOut:
    return service.deliver_waybill(session, number=number, actor=who.username)


@router.get("/waybills")
def list_waybills(
    session: DbSession,
    who: Anyone,
    page: Annotated[PageParams, Depends()],
    status: WaybillStatus | None = None,
) -> Page[WaybillOut]:
    items, total = service.list_waybills(
        session, vis=visibility(session, who), limit=page.limit, offset=page.offset, status=status
    )
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.post("/waybill-inspections")
def inspect_waybill(body: InspectionIn, session: DbSession, who: Inspector) -> InspectionOut:
    """A checkpoint scanned a printed waybill's QR: the waybill's route, window and cartons, and
    whether the truck (`vehicle_plate` as read off it) matches. A QR we did not sign is 422."""
    return inspection.inspect(session, data=body, who=who, settings=get_settings())


@router.get(
    "/waybills/{number}/waybill.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "the printed waybill"}},
)
def waybill_pdf(number: str, session: DbSession, who: Anyone) -> Response:
    """The controlled waybill (控制运货单) to print and hand to the driver, with its signed QR."""
    pdf = service.printable_pdf(
        session, number=number, vis=visibility(session, who), settings=get_settings()
    )
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="waybill-{number}.pdf"'},
    )


@router.get("/waybills/{number}")
def get_waybill(number: str, session: DbSession, who: Anyone) -> WaybillOut:
    return service.get_waybill(session, number=number, vis=visibility(session, who))


@router.get("/notifications")
def list_notifications(
    session: DbSession,
    who: CurrentPrincipal,
    page: Annotated[PageParams, Depends()],
    unread: bool = False,
) -> Page[NotificationOut]:
    return service.list_notifications(
        session, user_id=who.user_id, unread_only=unread, limit=page.limit, offset=page.offset
    )


@router.post("/notifications/{notification_id}/read", status_code=status.HTTP_204_NO_CONTENT)
def mark_notification_read(notification_id: Id, session: DbSession, who: CurrentPrincipal) -> None:
    service.mark_read(session, user_id=who.user_id, notification_id=notification_id)
