"""What every master-data register (regions, distributors, products, vehicles, …) does alike:
refuse a taken natural key, hide what the caller may not see, write the audit line, serve a page
of a list. Said once here so that the registers cannot drift apart on the contract's 404/409."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any, TypeVar

from fastapi import Depends
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.sql import Select

from app.audit import service as audit
from app.common.lookup import M, by_code, count_rows
from app.common.types import Page, PageParams
from app.errors import Conflict, NotFound

T = TypeVar("T")

PageQuery = Annotated[PageParams, Depends()]
"""`limit` and `offset` of a list endpoint."""


def ensure_new(
    session: Session, key_column: InstrumentedAttribute[str], key: str, *, what: str
) -> None:
    """409 when a row with this natural key (code, GTIN, plate) is already registered."""
    if session.scalar(select(key_column).where(key_column == key).limit(1)) is not None:
        raise Conflict(f"{what} {key!r} already exists")


def visible_by_code(
    session: Session, model: type[M], code: str, *, what: str, sees: Callable[[int], bool]
) -> M:
    """The row with this code, or 404 also when the caller may not see it: another
    distributor's record does not exist, as far as this caller can tell."""
    row = by_code(session, model, code, what=what)
    if not sees(row.id):
        raise NotFound(f"{what} {code!r} not found")
    return row


def patched(
    row: object, data: BaseModel, *, fields: Sequence[str] = (), clearable: Sequence[str] = ()
) -> dict[str, Any]:
    """Copy a patch's plain fields onto a register entry; returns the change as the caller sent
    it, for the audit line. Of `fields` (a name, a tier: never empty) a null or absent value
    keeps the entry's; a `clearable` field (an agreement date, a colour) changes whenever it is
    sent, null clearing it."""
    changes = data.model_dump(mode="json", exclude_unset=True)
    for name in fields:
        if (value := getattr(data, name)) is not None:
            setattr(row, name, value)
    for name in clearable:
        if name in changes:
            setattr(row, name, getattr(data, name))
    return changes


def saved(session: Session, actor: str, action: str, key: str, data: dict[str, Any]) -> None:
    """Write a register entry's change to the database, then its audit line: a change the
    database refuses (a taken key, a broken reference) raises before anything is audited."""
    session.flush()
    audit.change(session, actor, action, key, data)


def added(
    session: Session, row: object, actor: str, action: str, key: str, data: dict[str, Any]
) -> None:
    """Store a new register entry (flushed: its id and defaults exist afterwards) and write its
    audit line."""
    session.add(row)
    saved(session, actor, action, key, data)


def page_of_batch(
    session: Session,
    stmt: Select[*tuple[Any, ...]],
    page: PageParams,
    out: Callable[[Sequence[Any]], list[T]],
) -> Page[T]:
    """One page of a list query, its `total` counted without the limit. `out` turns the page's
    rows (entities for a query of one entity, tuples for several columns) into their wire form
    all at once, for registers that read related rows in bulk."""
    total = count_rows(session, stmt)
    result = session.execute(stmt.limit(page.limit).offset(page.offset))
    rows = result.scalars().all() if len(stmt.column_descriptions) == 1 else result.all()
    return Page(items=out(rows), total=total, limit=page.limit, offset=page.offset)


def page_of(
    session: Session, stmt: Select[*tuple[Any, ...]], page: PageParams, each: Callable[[Any], T]
) -> Page[T]:
    """One page of a list query, each row turned into its wire form by `each`."""
    return page_of_batch(session, stmt, page, lambda rows: [each(r) for r in rows])
