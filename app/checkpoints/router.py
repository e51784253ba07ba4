from __future__ import annotations

from fastapi import APIRouter, status

from app.auth.deps import Admin, Anyone
from app.checkpoints import service
from app.checkpoints.schemas import CheckpointIn, CheckpointOut, CheckpointPatch
from app.common.lookup import SearchText
from app.common.master import PageQuery
from app.common.types import Page
from app.db import DbSession

router = APIRouter(prefix="/checkpoints", tags=["master data"])


@router.post("", status_code=status.HTTP_201_CREATED)
def create_checkpoint(body: CheckpointIn, session: DbSession, who: Admin) -> CheckpointOut:
    return service.create_checkpoint(session, data=body, actor=who.username)


@router.get("")
def list_checkpoints(
    session: DbSession,
    _who: Anyone,
    page: PageQuery,
    region_code: str | None = None,
    q: SearchText = None,
) -> Page[CheckpointOut]:
    return service.list_checkpoints(session, page=page, region_code=region_code, q=q)


@router.get("/{code}")
def get_checkpoint(code: str, session: DbSession, _who: Anyone) -> CheckpointOut:
    return service.get_checkpoint(session, code=code)


@router.patch("/{code}")
def update_checkpoint(
    code: str, body: CheckpointPatch, session: DbSession, who: Admin
) -> CheckpointOut:
    return service.update_checkpoint(session, code=code, data=body, actor=who.username)
