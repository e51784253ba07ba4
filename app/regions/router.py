from __future__ import annotations

from fastapi import APIRouter

from app.auth.deps import Anyone
from app.common.lookup import SearchText
from app.common.master import PageQuery
from app.common.register_routes import register_routes
from app.common.types import Page
from app.db import DbSession
from app.models import RegionKind
from app.regions import service
from app.regions.schemas import RegionOut

router = APIRouter(prefix="/regions", tags=["master data"])
register_routes(router, "region", service)


@router.get("")
def list_regions(
    session: DbSession,
    _who: Anyone,
    page: PageQuery,
    parent_code: str | None = None,
    kind: RegionKind | None = None,
    q: SearchText = None,
) -> Page[RegionOut]:
    return service.list_regions(session, page=page, parent_code=parent_code, kind=kind, q=q)
