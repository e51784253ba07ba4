"""Phone sign-in: HQ issues a one-time link (or its QR code) for a user; the phone that opens it
exchanges it for a session, a bearer token that expires and that HQ can list and revoke.

Tickets and sessions are stored only as SHA-256 hashes, like API tokens (service.py): they are
256-bit random, so a fast hash suffices and the lookup uses an index."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import segno
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.auth import tokencache
from app.auth.service import SESSION, TOKEN_PREFIX, audit_user, hash_token
from app.db import utcnow
from app.errors import AppError, Conflict, NotFound, Unauthorized
from app.models import ApiToken, SignInTicket, User

TICKET_PREFIX = "cgt_"
SIGN_IN_PATH = "/signin"


class Gone(AppError):
    """The sign-in link was real but has expired: ask for a new one."""

    status_code = 410


@dataclass(frozen=True)
class IssuedTicket:
    username: str
    role: str
    ticket: str
    link: str
    expires_at: datetime
    qr_png: str
    """The link as a QR code: a `data:image/png;base64,…` URI, ready for an <img>."""


@dataclass(frozen=True)
class NewSession:
    token: str
    expires_at: datetime
    user: User


def sign_in_link(base_url: str, ticket: str) -> str:
    # In the fragment: browsers never send it to a server, so it stays out of access logs and
    # Referer headers.
    return f"{base_url.rstrip('/')}{SIGN_IN_PATH}#ticket={ticket}"


def qr_data_uri(text: str) -> str:
    png = segno.make_qr(text, error="m").png_data_uri(scale=6, border=4)
    assert png.startswith("data:image/png;base64,")
    return str(png)


def issue_ticket(
    session: Session, *, username: str, actor: str, base_url: str, minutes: float
) -> IssuedTicket:
    """A one-time sign-in link for `username`, valid for `minutes`."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"user {username!r} not found")
    if user.disabled_at is not None:
        raise Conflict(f"user {username!r} is disabled: a sign-in link would not work")
    ticket = TICKET_PREFIX + secrets.token_urlsafe(32)
    expires = utcnow() + timedelta(minutes=minutes)
    session.add(
        SignInTicket(
            user_id=user.id, ticket_hash=hash_token(ticket), issued_by=actor, expires_at=expires
        )
    )
    session.flush()
    audit_user(
        session, actor, "signin.ticket_issued", username, {"expires_at": expires.isoformat()}
    )
    link = sign_in_link(base_url, ticket)
    return IssuedTicket(
        username=username,
        role=user.role.value,
        ticket=ticket,
        link=link,
        expires_at=expires,
        qr_png=qr_data_uri(link),
    )


def redeem_ticket(session: Session, *, ticket: str, hours: float) -> NewSession:
    """Turn a ticket into a session, once. Unknown is 401, used 409, expired 410."""
    row = session.scalar(select(SignInTicket).where(SignInTicket.ticket_hash == hash_token(ticket)))
    if row is None:
        raise Unauthorized("this sign-in link is not valid")
    now = utcnow()
    if row.used_at is not None:
        raise Conflict(
            f"this sign-in link was already used at {row.used_at.isoformat(timespec='seconds')}; "
            "ask HQ for a new one"
        )
    if row.expires_at <= now:
        raise Gone(
            f"this sign-in link expired at {row.expires_at.isoformat(timespec='seconds')}; "
            "ask HQ for a new one"
        )
    user = session.get(User, row.user_id)
    if user is None or user.disabled_at is not None:
        raise Unauthorized("this user is disabled")
    # Claimed by a conditional update: of two phones opening one link at once, one wins.
    claimed = session.execute(
        update(SignInTicket)
        .where(SignInTicket.id == row.id, SignInTicket.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(claimed, "rowcount", 0) != 1:
        raise Conflict("this sign-in link was already used; ask HQ for a new one")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires = now + timedelta(hours=hours)
    api_token = ApiToken(
        user_id=user.id,
        token_hash=hash_token(token),
        prefix=token[:10],
        kind=SESSION,
        expires_at=expires,
        issued_by=row.issued_by,
    )
    session.add(api_token)
    session.flush()
    session.execute(
        update(SignInTicket)
        .where(SignInTicket.id == row.id)
        .values(session_id=api_token.id)
        .execution_options(synchronize_session=False)
    )
    audit_user(
        session,
        user.username,
        "signin.session_started",
        user.username,
        {"prefix": token[:10], "expires_at": expires.isoformat()},
    )
    return NewSession(token=token, expires_at=expires, user=user)


def list_sessions(
    session: Session, *, username: str | None = None, active_only: bool = False
) -> list[tuple[ApiToken, User]]:
    """Phone sessions, newest first."""
    q = (
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.kind == SESSION)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        .limit(500)
    )
    if username is not None:
        q = q.where(User.username == username)
    if active_only:
        q = q.where(ApiToken.revoked_at.is_(None), ApiToken.expires_at > utcnow())
    return [(tok, user) for tok, user in session.execute(q).tuples()]


def revoke_session(session: Session, *, session_id: int, actor: str) -> tuple[ApiToken, User]:
    """End one phone session now. Unknown is 404; one already revoked is 409."""
    row = session.execute(
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.id == session_id, ApiToken.kind == SESSION)
    ).first()
    if row is None:
        raise NotFound(f"session {session_id} not found")
    tok, user = row.tuple()
    if tok.revoked_at is not None:
        raise Conflict(
            f"session {session_id} was already revoked at "
            f"{tok.revoked_at.isoformat(timespec='seconds')}"
        )
    tok.revoked_at = utcnow()
    session.flush()
    audit_user(
        session,
        actor,
        "signin.session_revoked",
        user.username,
        {"session": session_id, "prefix": tok.prefix},
    )
    return tok, user


def sign_out(session: Session, *, token_id: int | None, actor: str) -> tuple[ApiToken, User]:
    """The phone's own session ends now (its "退出"). A machine's API token is refused with 409:
    one click in a browser must not cut off a scanner or a script sharing that token; HQ
    revokes those with `channelguard users revoke`."""
    row = (
        session.execute(
            select(ApiToken, User)
            .join(User, User.id == ApiToken.user_id)
            .where(ApiToken.id == token_id)
        ).first()
        if token_id is not None
        else None
    )
    if row is None:
        raise Conflict("this caller has no session to sign out of")
    tok, user = row.tuple()
    if tok.kind != SESSION:
        raise Conflict(
            "this is an API token for machines, not a phone session: it stays valid; "
            "HQ revokes it with `channelguard users revoke`"
        )
    # authenticate() has just let this token through, so it is neither revoked nor expired;
    # the conditional update still makes two sign-outs at once end it only once.
    now = utcnow()
    ended = session.execute(
        update(ApiToken)
        .where(ApiToken.id == tok.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(ended, "rowcount", 0) != 1:
        raise Unauthorized("session revoked", headers={"WWW-Authenticate": "Bearer"})
    # An UPDATE statement leaves no dirty object for the token cache to notice: tell it.
    tokencache.evict(session, token_hashes={tok.token_hash}, user_ids=set())
    session.refresh(tok)
    audit_user(
        session,
        actor,
        "signin.signed_out",
        user.username,
        {"session": tok.id, "prefix": tok.prefix},
    )
    return tok, user
