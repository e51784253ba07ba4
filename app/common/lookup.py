"""Find master data by business code, with the errors the contract promises."""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from app.errors import NotFound, Unprocessable


class HasCode(Protocol):
    id: Any
    code: Any


M = TypeVar("M", bound=HasCode)


def by_code(session: Session, model: type[M], code: str, *, what: str) -> M:
    """The row with this code, or 404: for codes in the URL path."""
    row = session.scalar(select(model).where(model.code == code))
    if row is None:
        raise NotFound(f"{what} {code!r} not found")
    return row


def ref(session: Session, model: type[M], code: str, *, field: str, what: str) -> M:
    """The row a request body refers to, or 422 naming the field: for codes in the body."""
    row = session.scalar(select(model).where(model.code == code))
    if row is None:
        raise Unprocessable(
            [
                {
                    "loc": ["body", field],
                    "msg": f"unknown {what} {code!r}",
                    "type": "unknown_reference",
                }
            ]
        )
    return row


def invalid(field: str, msg: str) -> Unprocessable:
    return Unprocessable([{"loc": ["body", field], "msg": msg, "type": "value_error"}])


def count_rows(session: Session, stmt: Select[*tuple[Any, ...]]) -> int:
    """How many rows a list query would return without its limit: the `total` of a page."""
    return session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
