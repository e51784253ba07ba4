"""Salespeople (业务员): each responsible for a region and the distributors it serves."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.visibility import Visibility
from app.common.lookup import by_code, ref, text_match
from app.common.master import added, ensure_new, page_of, patched, saved, visible_by_code
from app.common.types import Page, PageParams
from app.common.wire import wire_form
from app.models import Region, Salesperson
from app.salespeople.schemas import SalespersonIn, SalespersonOut, SalespersonPatch


def to_out(sp: Salesperson) -> SalespersonOut:
    return wire_form(SalespersonOut, sp, region_code=sp.region.code)


def create_salesperson(session: Session, *, data: SalespersonIn, actor: str) -> SalespersonOut:
    """Create a salesperson responsible for a region."""
    ensure_new(session, Salesperson.code, data.code, what="salesperson")
    region = ref(session, Region, data.region_code, field="region_code", what="region")
    sp = Salesperson(
        code=data.code, name=data.name, region=region, agreement_signed_at=data.agreement_signed_at
    )
    added(session, sp, actor, "salesperson.created", data.code, data.model_dump(mode="json"))
    return to_out(sp)


def update_salesperson(
    session: Session, *, code: str, data: SalespersonPatch, actor: str
) -> SalespersonOut:
    sp = by_code(session, Salesperson, code, what="salesperson")
    changes = patched(sp, data, fields=("name",), clearable=("agreement_signed_at",))
    if data.region_code is not None:
        sp.region = ref(session, Region, data.region_code, field="region_code", what="region")
    saved(session, actor, "salesperson.updated", code, changes)
    return to_out(sp)


def get_salesperson(session: Session, *, code: str, vis: Visibility) -> SalespersonOut:
    return to_out(
        visible_by_code(session, Salesperson, code, what="salesperson", sees=vis.salesperson)
    )


def list_salespeople(
    session: Session, *, vis: Visibility, page: PageParams, q: str | None = None
) -> Page[SalespersonOut]:
    stmt = select(Salesperson).order_by(Salesperson.code)
    if q:
        stmt = stmt.where(text_match(q, Salesperson.name, Salesperson.code))
    if not vis.everything:
        stmt = stmt.where(Salesperson.id.in_(vis.salesperson_ids))
    return page_of(session, stmt, page, to_out)
