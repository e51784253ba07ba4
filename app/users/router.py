"""`GET /api/v1/users`: HQ and admin pick people by name (phone sign-in, squads)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.auth.deps import Staff
from app.common.types import PLAIN_TEXT_PATTERN
from app.db import DbSession
from app.models import Role
from app.users import service
from app.users.schemas import UserPage

router = APIRouter(prefix="/users", tags=["auth"])


@router.get("")
def list_users(
    session: DbSession,
    _who: Staff,
    role: Role | None = None,
    q: Annotated[
        str | None,
        Query(max_length=80, pattern=PLAIN_TEXT_PATTERN, description="part of a username or name"),
    ] = None,
    after: Annotated[
        str | None,
        Query(max_length=80, pattern=PLAIN_TEXT_PATTERN, description="the `next` of the last page"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> UserPage:
    """Active users with their display name and the party they act for, in username order
    (admin and HQ only)."""
    items, nxt = service.list_users(session, role=role, q=q, after=after, limit=limit)
    return UserPage(items=items, next=nxt)
