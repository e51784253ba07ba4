from __future__ import annotations

from fastapi import APIRouter, status

from app.auth.deps import Admin, Anyone
from app.common.lookup import SearchText
from app.common.master import PageQuery
from app.common.types import Page
from app.db import DbSession
from app.models import RegionKind
from app.regions import service
from app.regions.schemas import RegionIn, RegionOut, RegionPatch

router = APIRouter(prefix="/regions", tags=["master data"])


@router.post("", status_code=status.HTTP_201_CREATED)
def create_region(body: RegionIn, session: DbSession, who: Admin) -> RegionOut:
    return service.create_region(session, data=body, actor=who.username)


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


@router.get("/{code}")
def get_region(code: str, session: DbSession, _who: Anyone) -> RegionOut:
    return service.get_region(session, code=code)


@router.patch("/{code}")
def update_region(code: str, body: RegionPatch, session: DbSession, who: Admin) -> RegionOut:
    return service.update_region(session, code=code, data=body, actor=who.username)
