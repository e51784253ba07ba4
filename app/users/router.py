"""`GET /api/v1/users`: HQ and admin pick people by name (phone sign-in, squads);
`PATCH /api/v1/users/{username}`: admin gives a person their name."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from app.auth import service as auth
from app.auth.deps import Admin, Staff
from app.common.types import PLAIN_TEXT_PATTERN
from app.db import DbSession
from app.errors import NotFound
from app.models import Role
from app.users import service
from app.users.schemas import UserOut, UserPage, UserPatch

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


@router.patch("/{username}")
def rename_user(
    username: Annotated[str, Path(min_length=1, max_length=80, pattern=PLAIN_TEXT_PATTERN)],
    body: UserPatch,
    session: DbSession,
    who: Admin,
) -> UserOut:
    """Set the name the pages call a person by (admin): `{"display_name": "王建国"}`, trimmed,
    1-64 characters; `null` takes it away. An unknown username is 404."""
    auth.rename_user(session, username=username, display_name=body.display_name, actor=who.username)
    out = service.user_out(session, username)
    if out is None:  # renamed a moment ago in this transaction: cannot vanish
        raise NotFound(f"user {username!r} not found")
    return out
