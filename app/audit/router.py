from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from app.audit import service
from app.auth.deps import Staff
from app.common.types import Cursor
from app.db import DbSession

router = APIRouter(prefix="/audit-log", tags=["audit"])


class AuditEntryOut(BaseModel):
    seq: int
    at: datetime
    actor: str
    action: str
    entity_type: str
    entity_key: str
    data: dict[str, Any]
    prev_hash: str
    hash: str


class AuditPage(BaseModel):
    items: list[AuditEntryOut]
    next_after_seq: int | None


class VerifyOut(BaseModel):
    ok: bool
    entries: int
    first_bad_entry: int | None = None
    reason: str | None = None


@router.get("")
def list_audit_log(
    session: DbSession,
    _who: Staff,
    after_seq: Cursor = 0,
    limit: int = Query(100, ge=1, le=1000),
    entity_type: str | None = None,
    entity_key: str | None = None,
) -> AuditPage:
    rows = service.list_entries(
        session, limit=limit, after_seq=after_seq, entity_type=entity_type, entity_key=entity_key
    )
    items = [AuditEntryOut.model_validate(r, from_attributes=True) for r in rows]
    return AuditPage(items=items, next_after_seq=items[-1].seq if len(items) == limit else None)


@router.get("/verify", response_model_exclude_none=True)
def verify_audit_log(session: DbSession, _who: Staff) -> VerifyOut:
    report = service.verify(session)
    return VerifyOut(
        ok=report.ok,
        entries=report.entries,
        first_bad_entry=report.first_bad_entry,
        reason=report.reason,
    )
