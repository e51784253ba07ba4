"""Find master data by business code, with the errors the contract promises."""

from __future__ import annotations

from typing import Annotated, Any, Protocol, TypeVar

from fastapi import Query
from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.sql import Select

from app.common.types import PLAIN_TEXT_PATTERN
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


SearchText = Annotated[
    str | None,
    Query(
        max_length=100,
        pattern=PLAIN_TEXT_PATTERN,
        description="only rows whose name or code contains this text (any case)",
    ),
]
"""The `q` of a master-data list: what an admin types into the search box."""


def text_match(q: str, *columns: InstrumentedAttribute[str]) -> ColumnElement[bool]:
    """Rows where any of the columns contains `q`, case-insensitive; `%` and `_` are literal."""
    pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return or_(*(col.ilike(pattern, escape="\\") for col in columns))
