from __future__ import annotations

from fastapi import APIRouter, Query, status

from app.auth.deps import Anyone
from app.auth.visibility import visibility
from app.db import DbSession
from app.inbox import service
from app.inbox.schemas import Inbox

router = APIRouter(prefix="/inbox", tags=["inbox"])


@router.get("")
def get_inbox(
    session: DbSession,
    who: Anyone,
    unread: bool = False,
    limit: int = Query(50, ge=1, le=200),
) -> Inbox:
    """What concerns the caller, newest first, with the number unread: new violations (HQ, and
    the parties and their salespeople), appeals (HQ), decisions (the parties), consumer signals
    (HQ) and the route notifications of waybills passing through the caller's region."""
    return service.inbox(
        session, who=who, vis=visibility(session, who), unread_only=unread, limit=limit
    )


@router.post("/{item_id}/read", status_code=status.HTTP_204_NO_CONTENT)
def mark_read(item_id: str, session: DbSession, who: Anyone) -> None:
    service.mark_read(session, who=who, vis=visibility(session, who), item_id=item_id)
