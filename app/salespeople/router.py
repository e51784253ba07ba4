from __future__ import annotations

from fastapi import APIRouter, status

from app.auth.deps import Admin, Anyone
from app.auth.visibility import visibility
from app.common.lookup import SearchText
from app.common.master import PageQuery
from app.common.types import Page
from app.db import DbSession
from app.salespeople import service
from app.salespeople.schemas import SalespersonIn, SalespersonOut, SalespersonPatch

router = APIRouter(prefix="/salespeople", tags=["master data"])


@router.post("", status_code=status.HTTP_201_CREATED)
def create_salesperson(body: SalespersonIn, session: DbSession, who: Admin) -> SalespersonOut:
    return service.create_salesperson(session, data=body, actor=who.username)


@router.get("")
def list_salespeople(
    session: DbSession, who: Anyone, page: PageQuery, q: SearchText = None
) -> Page[SalespersonOut]:
    return service.list_salespeople(session, vis=visibility(session, who), page=page, q=q)


@router.get("/{code}")
def get_salesperson(code: str, session: DbSession, who: Anyone) -> SalespersonOut:
    return service.get_salesperson(session, code=code, vis=visibility(session, who))


@router.patch("/{code}")
def update_salesperson(
    code: str, body: SalespersonPatch, session: DbSession, who: Admin
) -> SalespersonOut:
    return service.update_salesperson(session, code=code, data=body, actor=who.username)
