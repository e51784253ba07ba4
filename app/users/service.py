"""Users as people see them: their own name, else the name of the party they act for."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, aliased

from app.models import Distributor, Role, Salesperson, SubCustomer, User
from app.users.schemas import Person, UserOut
from rules.people import shown_name

_dist, _sales, _sub = aliased(Distributor), aliased(Salesperson), aliased(SubCustomer)
_party_name = func.coalesce(_dist.name, _sub.name, _sales.name)


def _people() -> Select[*tuple[Any, ...]]:
    """Users with the code and name of whichever party they act for."""
    return (
        select(User, _dist.code, _dist.name, _sales.code, _sales.name, _sub.code, _sub.name)
        .outerjoin(_dist, _dist.id == User.distributor_id)
        .outerjoin(_sales, _sales.id == User.salesperson_id)
        .outerjoin(_sub, _sub.id == User.sub_customer_id)
    )


def _user_out(row: Any) -> UserOut:
    user, d_code, d_name, s_code, s_name, c_code, c_name = row
    kind: str | None
    code: str | None
    name: str | None
    # A sub-customer's staff act for the shop, a distributor's for the firm.
    if c_code is not None:
        kind, code, name = "sub_customer", c_code, c_name
    elif d_code is not None:
        kind, code, name = "distributor", d_code, d_name
    elif s_code is not None:
        kind, code, name = "salesperson", s_code, s_name
    else:
        kind = code = name = None
    return UserOut(
        username=user.username,
        display_name=shown_name(user.display_name, name, user.username),
        name=user.display_name,
        role=user.role.value,
        party_type=kind,
        party_code=code,
        party_name=name,
    )


def list_users(
    session: Session, *, role: Role | None, q: str | None, after: str | None, limit: int
) -> tuple[list[UserOut], str | None]:
    """Active users in username order after `after`, those whose username, own name or party
    name contains `q` (any case); and the cursor of the next page, None on the last."""
    stmt = (
        _people()
        .where(User.disabled_at.is_(None))
        .order_by(User.username)
        .limit(limit + 1)  # one more tells whether a next page exists
    )
    if role is not None:
        stmt = stmt.where(User.role == role)
    if after:
        stmt = stmt.where(User.username > after)
    if q and q.strip():
        needle = q.strip().lower()
        stmt = stmt.where(
            or_(
                func.lower(User.username).contains(needle, autoescape=True),
                func.lower(User.display_name).contains(needle, autoescape=True),
                func.lower(_party_name).contains(needle, autoescape=True),
            )
        )
    rows = session.execute(stmt).all()
    items = [_user_out(row) for row in rows[:limit]]
    nxt = items[-1].username if len(rows) > limit and items else None
    return items, nxt


def user_out(session: Session, username: str) -> UserOut | None:
    """One user as the list shows them (disabled ones too), None when there is no such user."""
    row = session.execute(_people().where(User.username == username)).first()
    return None if row is None else _user_out(row)


def names_by_id(session: Session, user_ids: Iterable[int]) -> dict[int, Person]:
    """The people behind these user ids, as pages name them; unknown ids are left out."""
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    rows = session.execute(_people().where(User.id.in_(ids))).all()
    return {
        row[0].id: Person(username=row[0].username, display_name=_user_out(row).display_name)
        for row in rows
    }


def names_by_username(session: Session, usernames: Iterable[str]) -> dict[str, str]:
    """Login → the name pages show; logins of nobody are left out."""
    wanted = sorted(set(usernames))
    if not wanted:
        return {}
    rows = session.execute(_people().where(User.username.in_(wanted))).all()
    return {row[0].username: _user_out(row).display_name for row in rows}
