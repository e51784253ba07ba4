"""Users as people see them: with the name of the party they act for."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, aliased

from app.models import Distributor, Role, Salesperson, SubCustomer, User
from app.users.schemas import UserOut


def list_users(
    session: Session, *, role: Role | None, q: str | None, after: str | None, limit: int
) -> tuple[list[UserOut], str | None]:
    """Active users in username order after `after`, those whose username or party name
    contains `q` (any case); and the cursor of the next page, None on the last."""
    dist, sales, sub = aliased(Distributor), aliased(Salesperson), aliased(SubCustomer)
    party_name = func.coalesce(dist.name, sub.name, sales.name)
    stmt = (
        select(User, dist.code, dist.name, sales.code, sales.name, sub.code, sub.name)
        .outerjoin(dist, dist.id == User.distributor_id)
        .outerjoin(sales, sales.id == User.salesperson_id)
        .outerjoin(sub, sub.id == User.sub_customer_id)
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
                func.lower(party_name).contains(needle, autoescape=True),
            )
        )
    rows = session.execute(stmt).all()
    items: list[UserOut] = []
    for user, d_code, d_name, s_code, s_name, c_code, c_name in rows[:limit]:
        # A sub-customer's staff act for the shop, a distributor's for the firm.
        if c_code is not None:
            kind, code, name = "sub_customer", c_code, c_name
        elif d_code is not None:
            kind, code, name = "distributor", d_code, d_name
        elif s_code is not None:
            kind, code, name = "salesperson", s_code, s_name
        else:
            kind = code = name = None
        items.append(
            UserOut(
                username=user.username,
                display_name=name or user.username,
                role=user.role.value,
                party_type=kind,
                party_code=code,
                party_name=name,
            )
        )
    nxt = items[-1].username if len(rows) > limit and items else None
    return items, nxt
