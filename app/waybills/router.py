from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status

from app.auth.deps import Admin, Anyone, CurrentPrincipal
from app.auth.visibility import visibility
from app.common.types import Id, Page, PageParams
from app.config import get_settings
from app.db import DbSession
from app.models import WaybillStatus
from app.waybills import service
from app.waybills.schemas import NotificationOut, WaybillCheckOut, WaybillIn, WaybillOut

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
