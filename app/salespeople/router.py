from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status

from app.auth.deps import Admin, Anyone
from app.auth.visibility import visibility
from app.common.lookup import SearchText
from app.common.types import Page, PageParams
from app.db import DbSession
from app.salespeople import service
from app.salespeople.schemas import SalespersonIn, SalespersonOut, SalespersonPatch

router = APIRouter(prefix="/salespeople", tags=["master data"])


@router.post("", status_code=status.HTTP_201_CREATED)
def create_salesperson(body: SalespersonIn, session: DbSession, who: Admin) -> SalespersonOut:
    return service.create_salesperson(session, data=body, actor=who.username)


@router.get("")
def list_salespeople(
    session: DbSession, who: Anyone, page: Annotated[PageParams, Depends()], q: SearchText = None
) -> Page[SalespersonOut]:
    items, total = service.list_salespeople(
        session, vis=visibility(session, who), limit=page.limit, offset=page.offset, q=q
    )
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/{code}")
def get_salesperson(code: str, session: DbSession, who: Anyone) -> SalespersonOut:
    return service.get_salesperson(session, code=code, vis=visibility(session, who))


@router.patch("/{code}")
def update_salesperson(
    code: str, body: SalespersonPatch, session: DbSession, who: Admin
) -> SalespersonOut:
    return service.update_salesperson(session, code=code, data=body, actor=who.username)
