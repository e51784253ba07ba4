from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status

from app.auth.deps import Admin, Anyone
from app.checkpoints import service
from app.checkpoints.schemas import CheckpointIn, CheckpointOut, CheckpointPatch
from app.common.lookup import SearchText
from app.common.types import Page, PageParams
from app.db import DbSession

router = APIRouter(prefix="/checkpoints", tags=["master data"])


@router.post("", status_code=status.HTTP_201_CREATED)
def create_checkpoint(body: CheckpointIn, session: DbSession, who: Admin) -> CheckpointOut:
    return service.create_checkpoint(session, data=body, actor=who.username)


@router.get("")
def list_checkpoints(
    session: DbSession,
    _who: Anyone,
    page: Annotated[PageParams, Depends()],
    region_code: str | None = None,
    q: SearchText = None,
) -> Page[CheckpointOut]:
    items, total = service.list_checkpoints(
        session, limit=page.limit, offset=page.offset, region_code=region_code, q=q
    )
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/{code}")
def get_checkpoint(code: str, session: DbSession, _who: Anyone) -> CheckpointOut:
    return service.get_checkpoint(session, code=code)


@router.patch("/{code}")
def update_checkpoint(
    code: str, body: CheckpointPatch, session: DbSession, who: Admin
) -> CheckpointOut:
    return service.update_checkpoint(session, code=code, data=body, actor=who.username)
