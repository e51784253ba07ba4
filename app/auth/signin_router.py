"""Phone sign-in by one-time link: HQ (admin) issues links and lists and revokes sessions; the
phone exchanges the link's ticket for a session token and ends it when its user signs out."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field

from app.auth import signin
from app.auth.deps import Admin, Anyone
from app.auth.ratelimit import guard
from app.auth.router import MeOut, me_of
from app.auth.service import principal_of
from app.common.types import INT4_MAX, Schema
from app.config import get_settings
from app.db import DbSession, utcnow
from app.errors import AppError, ErrorOut
from app.users.schemas import Person
from app.users.service import names_by_id

router = APIRouter(prefix="/sign-in", tags=["auth"])

USERNAME = Field(min_length=1, max_length=80)


class TicketIn(Schema):
    username: str = USERNAME


class TicketOut(BaseModel):
    username: str
    role: str
    link: str
    """Open on the phone (or scan `qr_png`): `/signin#ticket=…`; works once."""
    expires_at: datetime
    qr_png: str
    """The link as a QR code, a `data:image/png;base64,…` URI."""


class ExchangeIn(Schema):
    ticket: str = Field(min_length=1, max_length=200)


class SessionTokenOut(BaseModel):
    token: str
    """A bearer token for this phone; it stops working at `expires_at` or when revoked."""
    token_type: str = "bearer"
    expires_at: datetime
    me: MeOut


class SessionOut(BaseModel):
    id: int
    username: str
    display_name: str | None = None
    """Whose phone it is, as the pages name them (their own name, else their party's, else the
    username)."""
    role: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    issued_by: str | None
    active: bool


class SessionsOut(BaseModel):
    items: list[SessionOut]


def _session_out(tok: Any, user: Any, names: dict[int, Person]) -> SessionOut:
    now = utcnow()
    person = names.get(user.id)
    return SessionOut(
        id=tok.id,
        username=user.username,
        display_name=person.display_name if person else user.username,
        role=user.role.value,
        prefix=tok.prefix,
        created_at=tok.created_at,
        expires_at=tok.expires_at,
        revoked_at=tok.revoked_at,
        issued_by=tok.issued_by,
        active=tok.revoked_at is None and (tok.expires_at is None or tok.expires_at > now),
    )


@router.post("/tickets", status_code=201)
def issue_ticket(body: TicketIn, session: DbSession, who: Admin) -> TicketOut:
    """A one-time sign-in link and its QR code for a user's phone (admin)."""
    settings = get_settings()
    t = signin.issue_ticket(
        session,
        username=body.username,
        actor=who.username,
        base_url=settings.public_base_url,
        minutes=settings.sign_in_ticket_minutes,
    )
    return TicketOut(
        username=t.username, role=t.role, link=t.link, expires_at=t.expires_at, qr_png=t.qr_png
    )


@router.post(
    "/exchange",
    responses={410: {"model": ErrorOut, "description": "the sign-in link has expired"}},
)
def exchange(body: ExchangeIn, request: Request, session: DbSession) -> SessionTokenOut:
    """The phone trades a sign-in link's ticket for a session token. No bearer token needed.
    Unknown ticket 401, already used 409, expired 410."""
    limiter, address = guard(request)
    try:
        new = signin.redeem_ticket(session, ticket=body.ticket, hours=get_settings().session_hours)
    except AppError:
        limiter.record_failure(address)
        raise
    return SessionTokenOut(
        token=new.token, expires_at=new.expires_at, me=me_of(session, principal_of(new.user))
    )


@router.get("/sessions")
def sessions(
    session: DbSession,
    who: Admin,
    username: Annotated[str | None, Query(max_length=80)] = None,
    active: bool = False,
) -> SessionsOut:
    """Phone sessions, newest first (admin); `active=true` leaves out ended ones."""
    rows = signin.list_sessions(session, username=username, active_only=active)
    names = names_by_id(session, (user.id for _tok, user in rows))
    return SessionsOut(items=[_session_out(tok, user, names) for tok, user in rows])


@router.post("/sessions/{session_id}/revoke")
def revoke(
    session_id: Annotated[int, Path(ge=1, le=INT4_MAX)], session: DbSession, who: Admin
) -> SessionOut:
    """End a phone session now (admin): its next call is 401."""
    tok, user = signin.revoke_session(session, session_id=session_id, actor=who.username)
    return _session_out(tok, user, names_by_id(session, [user.id]))


@router.post(
    "/sign-out",
    responses={
        409: {"model": ErrorOut, "description": "the caller holds an API token, not a session"}
    },
)
def sign_out(session: DbSession, who: Anyone) -> SessionOut:
    """End the caller's own phone session now: the token is refused (401) from then on.
    An API token (kind `api`, for machines) is not ended here: 409, and it keeps working."""
    tok, user = signin.sign_out(session, token_id=who.token_id, actor=who.username)
    return _session_out(tok, user, names_by_id(session, [user.id]))
