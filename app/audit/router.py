from __future__ import annotations

import base64
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from app.audit import service
from app.auth.deps import Staff
from app.common.types import Cursor, CursorPage
from app.config import get_settings
from app.db import DbSession
from app.errors import NotFound

router = APIRouter(prefix="/audit-log", tags=["audit"])


class AuditEntryOut(BaseModel):
    seq: int
    at: datetime
    actor: str
    action: str
    entity_type: str
    entity_key: str
    data: dict[str, Any]
    hash: str


class AuditPage(CursorPage[AuditEntryOut]):
    next_after_seq: int | None
    """The same as `next`, as the number earlier clients read (and send as `after_seq`)."""


class VerifyOut(BaseModel):
    ok: bool
    entries: int
    first_bad_entry: int | None = None
    reason: str | None = None


class CheckpointOut(BaseModel):
    """The log's latest signed head. The signature (Ed25519, base64) covers the note:
    `origin\\ntree_size\\nbase64(root)\\nat\\n`."""

    origin: str
    tree_size: int
    root_hash: str
    at: str
    key_id: str
    signature: str
    public_key: str
    note: str


class InclusionOut(BaseModel):
    seq: int
    leaf_index: int
    tree_size: int
    leaf_hash: str
    root_hash: str
    audit_path: list[str]


class ConsistencyOut(BaseModel):
    first: int
    second: int
    first_root: str
    second_root: str
    proof: list[str]


@router.get("")
def list_audit_log(
    session: DbSession,
    _who: Staff,
    after_seq: Annotated[
        Cursor, Query(description="the earlier name of `after`; 0 (nothing seen yet) is no cursor")
    ] = 0,
    after: Annotated[Cursor | None, Query(description="the `next` of the previous page")] = None,
    order: Annotated[
        Literal["desc", "asc"],
        Query(
            description="`desc` (default): newest first, each page older than `after`; "
            "`asc`: oldest first, each page newer than `after`, to replay the log forwards"
        ),
    ] = "desc",
    limit: int = Query(100, ge=1, le=1000),
    entity_type: str | None = None,
    entity_key: str | None = None,
) -> AuditPage:
    rows = service.list_entries(
        session,
        limit=limit,
        # seq starts at 1, so a cursor of 0 has seen nothing: the first page in either order
        after_seq=(after if after is not None else after_seq) or None,
        newest_first=order == "desc",
        entity_type=entity_type,
        entity_key=entity_key,
    )
    items = [AuditEntryOut.model_validate(r, from_attributes=True) for r in rows]
    last = items[-1].seq if len(items) == limit else None
    return AuditPage(items=items, next=None if last is None else str(last), next_after_seq=last)


@router.get("/verify", response_model_exclude_none=True)
def verify_audit_log(session: DbSession, _who: Staff) -> VerifyOut:
    report = service.verify(session, get_settings())
    return VerifyOut(
        ok=report.ok,
        entries=report.entries,
        first_bad_entry=report.first_bad_entry,
        reason=report.reason,
    )


@router.get("/checkpoint")
def latest_checkpoint(session: DbSession, _who: Staff) -> CheckpointOut:
    cp = service.latest_checkpoint(session)
    if cp is None:
        raise NotFound("the log has no signed checkpoint yet")
    settings = get_settings()
    return CheckpointOut(
        **cp.to_json(),
        public_key=base64.b64encode(service.public_key_bytes(settings)).decode(),
        note=cp.note().decode(),
    )


@router.get("/proof/inclusion")
def inclusion_proof(
    session: DbSession,
    _who: Staff,
    seq: int = Query(ge=1),
    size: int | None = Query(None, ge=1),
) -> InclusionOut:
    return InclusionOut(**service.inclusion(session, seq=seq, size=size))


@router.get("/proof/consistency")
def consistency_proof(
    session: DbSession,
    _who: Staff,
    first: int = Query(ge=1),
    second: int | None = Query(None, ge=1),
) -> ConsistencyOut:
    return ConsistencyOut(**service.consistency(session, first=first, second=second))
