from __future__ import annotations

from fastapi import APIRouter

from app.auth.deps import Anyone
from app.checkpoints import service
from app.checkpoints.schemas import CheckpointOut
from app.common.lookup import SearchText
from app.common.master import PageQuery
from app.common.register_routes import register_routes
from app.common.types import Page
from app.db import DbSession

router = APIRouter(prefix="/checkpoints", tags=["master data"])
register_routes(router, "checkpoint", service)


@router.get("")
def list_checkpoints(
    session: DbSession,
    _who: Anyone,
    page: PageQuery,
    region_code: str | None = None,
    q: SearchText = None,
) -> Page[CheckpointOut]:
    return service.list_checkpoints(session, page=page, region_code=region_code, q=q)
