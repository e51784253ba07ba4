"""Users and their bearer tokens. Tokens are shown once and stored only as SHA-256 hashes."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.auth.principal import Principal
from app.auth.tokencache import cache_for
from app.common.lookup import by_code, invalid
from app.common.wire import wire_form
from app.config import get_settings
from app.db import get_engine, read_only_session, utcnow
from app.errors import Conflict, NotFound, Unauthorized, Unprocessable
from app.models import ApiToken, Distributor, Role, Salesperson, SubCustomer, User
from rules.people import clean_display_name

TOKEN_PREFIX = "cg_"
SESSION = "session"
"""The kind of token a phone gets from a one-time sign-in link; machines keep `api` tokens."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(
    session: Session,
    *,
    username: str,
    role: Role,
    distributor_code: str | None = None,
    salesperson_code: str | None = None,
    sub_customer_code: str | None = None,
    display_name: str | None = None,
    actor: str,
) -> tuple[User, str]:
    """Create a user bound to its party (if any) and return it with its first API token;
    `display_name` is what the pages call the person (trimmed; 422 when blank or too long)."""
    name = None if display_name is None else checked_name(display_name)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"user {username!r} already exists")
    user = User(username=username, role=role, display_name=name)
    if role is Role.sub_customer:
        if not sub_customer_code or distributor_code or salesperson_code:
            raise Unprocessable("a sub_customer user needs --sub-customer CODE (and nothing else)")
        user.sub_customer_id = by_code(
            session, SubCustomer, sub_customer_code, what="sub-customer"
        ).id
    elif sub_customer_code:
        raise Unprocessable(f"role {role.value} is not bound to a sub-customer")
    elif role is Role.distributor:
        if not distributor_code or salesperson_code:
            raise Unprocessable("a distributor user needs --distributor CODE (and nothing else)")
        user.distributor_id = by_code(session, Distributor, distributor_code, what="distributor").id
    elif role is Role.salesperson:
        if not salesperson_code or distributor_code:
            raise Unprocessable("a salesperson user needs --salesperson CODE (and nothing else)")
        user.salesperson_id = by_code(session, Salesperson, salesperson_code, what="salesperson").id
    elif distributor_code or salesperson_code:
        raise Unprocessable(f"role {role.value} is not bound to a distributor or salesperson")
    session.add(user)
    session.flush()
    token = issue_token(session, user=user, actor=actor)
    audit_user(
        session,
        actor,
        "user.created",
        username,
        {
            "role": role.value,
            "distributor": distributor_code,
            "salesperson": salesperson_code,
            "sub_customer": sub_customer_code,
            **({"display_name": name} if name is not None else {}),
        },
    )
    return user, token


def checked_name(raw: str) -> str:
    """A person's name as stored, or a 422 naming `display_name` with the reason."""
    try:
        return clean_display_name(raw)
    except ValueError as exc:
        raise invalid("display_name", str(exc)) from exc


def rename_user(session: Session, *, username: str, display_name: str | None, actor: str) -> User:
    """Give a user (enabled or not) a name of their own, or none (None): the pages then call
    them by their party's name or login again. The audit log keeps every earlier name."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"user {username!r} not found")
    name = None if display_name is None else checked_name(display_name)
    if name != user.display_name:
        audit_user(
            session, actor, "user.renamed", username, {"from": user.display_name, "to": name}
        )
        user.display_name = name
        session.flush()
    return user


def audit_user(
    session: Session, actor: str, action: str, username: str, data: dict[str, Any]
) -> None:
    """Account, token and sign-in events are audited against the user's login."""
    audit.change(session, actor, action, username, data, entity_type="user")


def issue_token(session: Session, *, user: User, actor: str) -> str:
    """Mint a new random token for the user; only its hash is stored."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, token_hash=hash_token(token), prefix=token[:10]))
    session.flush()
    audit_user(session, actor, "token.issued", user.username, {"prefix": token[:10]})
    return token


def _revoke_all(user: User) -> int:
    now = utcnow()
    revoked = 0
    for tok in user.tokens:
        if tok.revoked_at is None:
            tok.revoked_at = now
            revoked += 1
    return revoked


def revoke_tokens(session: Session, *, user: User, actor: str) -> int:
    """Revoke every token the user holds, leaving the user enabled; returns how many."""
    revoked = _revoke_all(user)
    session.flush()
    audit_user(session, actor, "token.revoked", user.username, {"tokens_revoked": revoked})
    return revoked


def revoke_user(session: Session, *, username: str, actor: str) -> int:
    """Disable a user and revoke every token it holds; returns how many tokens were revoked."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"user {username!r} not found")
    user.disabled_at = user.disabled_at or utcnow()
    revoked = _revoke_all(user)
    audit_user(session, actor, "user.revoked", username, {"tokens_revoked": revoked})
    return revoked


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def list_users_with_parties(session: Session) -> list[tuple[User, str]]:
    """Users with the business code of their party ("distributor D-370100-1"), "" for none."""
    rows = session.execute(
        select(User, Distributor.code, Salesperson.code)
        .outerjoin(Distributor, Distributor.id == User.distributor_id)
        .outerjoin(Salesperson, Salesperson.id == User.salesperson_id)
        .order_by(User.username)
    )
    out: list[tuple[User, str]] = []
    for user, dist_code, sp_code in rows:
        party = (
            f"distributor {dist_code}" if dist_code else f"salesperson {sp_code}" if sp_code else ""
        )
        out.append((user, party))
    return out


def authenticate(session: Session, token: str) -> Principal:
    """Resolve a bearer token to its principal, or refuse it, reading in `session`."""
    return _lookup(session, hash_token(token))[0]


def cached_principal(token: str) -> Principal | None:
    """The principal of a token checked within the last CG_TOKEN_CACHE_SECONDS, from memory
    alone; None when the database must be read (`check_bearer`)."""
    if get_settings().token_cache_seconds <= 0:
        return None
    return cache_for(get_engine()).get(hash_token(token))


def check_bearer(token: str) -> Principal:
    """What a request's bearer token resolves to: from the token cache if it was checked in the
    last CG_TOKEN_CACHE_SECONDS, else read in a read-only session of its own.

    Not the request's session: on SQLite its transaction begins IMMEDIATE behind the process's
    write queue, so a token check there waited for every write in progress (a shared scan
    transaction) before the request could even start. The answer is a plain Principal, and a
    token revoked between this read and the request's own transaction is the same race as one
    revoked a moment after the request was answered."""
    settings = get_settings()
    token_hash = hash_token(token)
    ttl = settings.token_cache_seconds
    if ttl <= 0:
        with read_only_session() as s:
            return _lookup(s, token_hash)[0]
    cache = cache_for(get_engine())
    cached = cache.get(token_hash)
    if cached is not None:
        return cached
    generation = cache.generation()
    with read_only_session() as s:
        principal, expires_at = _lookup(s, token_hash)
    cache.put(
        token_hash,
        principal,
        expires_at=expires_at,
        ttl=ttl,
        max_size=settings.token_cache_size,
        generation=generation,
    )
    return principal


def _lookup(session: Session, token_hash: str) -> tuple[Principal, datetime | None]:
    """The principal of a token hash and when the token expires, or Unauthorized."""
    row = session.execute(
        select(User, ApiToken)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == token_hash)
    ).first()
    if row is None:
        raise Unauthorized("invalid token", headers={"WWW-Authenticate": "Bearer"})
    user, api_token = row
    if api_token.revoked_at is not None or user.disabled_at is not None:
        what = "session" if api_token.kind == SESSION else "token"
        raise Unauthorized(f"{what} revoked", headers={"WWW-Authenticate": "Bearer"})
    if api_token.expires_at is not None and api_token.expires_at <= utcnow():
        raise Unauthorized(
            "session expired: ask HQ for a new sign-in link",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return principal_of(user, token_id=api_token.id), api_token.expires_at


def principal_of(user: User, *, token_id: int | None = None) -> Principal:
    """The caller a user is, for work done on its behalf (a token, or the command line)."""
    return wire_form(Principal, user, user_id=user.id, token_id=token_id)
