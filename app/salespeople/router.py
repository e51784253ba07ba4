from __future__ import annotations

from fastapi import APIRouter

from app.auth.deps import Anyone
from app.auth.visibility import visibility
from app.common.lookup import SearchText
from app.common.master import PageQuery
from app.common.register_routes import register_routes
from app.common.types import Page
from app.db import DbSession
from app.salespeople import service
from app.salespeople.schemas import SalespersonOut

router = APIRouter(prefix="/salespeople", tags=["master data"])
register_routes(router, "salesperson", service, sees=visibility)


@router.get("")
def list_salespeople(
    session: DbSession, who: Anyone, page: PageQuery, q: SearchText = None
) -> Page[SalespersonOut]:
    return service.list_salespeople(session, vis=visibility(session, who), page=page, q=q)
